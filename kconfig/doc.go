// Package kconfig reads the Linux kernel's Kconfig language, evaluates it the
// way the kernel's own scripts/kconfig/conf does, and finds minimal kernel
// configurations.
//
// # The model
//
// A Kconfig tree is a set of files starting at ./Kconfig. They declare
// symbols (`config FOO` / `menuconfig FOO`) of type bool, tristate, int, hex
// or string, grouped in menus, choices (exactly one member of a bool choice
// is y), `if` blocks and comments. Each symbol carries properties:
//
//   - prompt "text" [if COND]: the symbol is user-settable ("visible") when a
//     prompt's condition holds. Symbols without a prompt take their value only
//     from defaults and selects.
//   - depends on EXPR: the direct dependency, an upper bound on the value.
//     Enclosing `if` and `menu ... depends on` add their conditions.
//   - default VALUE [if COND]: the first default whose condition holds gives
//     the value of an invisible symbol (or of a visible one the user did not
//     set).
//   - select SYM [if COND]: forces SYM to at least this symbol's value, even
//     past SYM's own `depends on` (the reverse dependency).
//   - imply SYM [if COND]: a weak select that only raises SYM's default.
//   - range LO HI [if COND]: clamps int and hex values.
//
// Values are tristate: n < m < y. AND is min, OR is max, NOT is 2-x. When the
// MODULES symbol is n, every tristate behaves as a bool and m becomes y.
//
// Before parsing, each line goes through the Kconfig macro language:
// variables (`X := value` simple, `X = value` recursive, `X += more`), calls
// `$(name,arg,...)` of user functions with $(1), $(2)..., the built-ins
// `shell`, `info`, `warning-if`, `error-if`, `filename`, `lineno`, and
// environment variables such as $(ARCH), $(CC) and $(srctree).
// scripts/Kconfig.include builds cc-option, ld-option, as-instr and friends on
// `$(shell,...)`, so parsing the x86 tree normally starts about 400 compiler
// processes. This package never starts them during a normal parse: a
// [Toolchain] is a pinned table of each `$(shell,...)` command and its output
// plus the environment the kernel Makefile exports, captured once per
// compiler by a [Prober] and stored under toolchain/ (see [Builtin]).
//
// # Evaluation
//
// [Config] reproduces conf's sym_calc_value: visibility from prompts, user
// values honoured only for visible symbols, defaults, implies, selects, choice
// selection and ranges. [Config.Apply] reads user values as conf reads a
// .config or KCONFIG_ALLCONFIG, [Config.AllNo] gives the allnoconfig
// completion (every symbol the caller did not set is n),
// [Config.WriteDotConfig] writes a .config in conf's own order and format
// (byte-identical to `make allnoconfig` for the same input), and
// [Config.WriteDefconfig] writes what `make savedefconfig` writes.
//
// A parsed [Kconfig] is read-only and safe for concurrent use; a [Config]
// caches computed values and is not.
//
// # Minimal configurations
//
// [Solve] turns need/avoid lists ([Needs], [InitPreset], [HardwarePreset])
// into a configuration with allnoconfig semantics: the requested symbols
// hold and everything else is as off as the dependencies allow. It encodes
// the model as a boolean circuit (a symbol is on or off; with MODULES off,
// tristates are bools) for the SAT solver gini and searches the user
// values; the evaluator, not the SAT model, produces the final .config, and
// the requests are checked on it. The [Solution] carries the .config and a
// fragment that `make allnoconfig` with KCONFIG_ALLCONFIG turns into the
// same configuration. When the requests contradict each other the result
// is an [*UnsatError] that names the chain, e.g. "need X, but X selects Y,
// which you avoid".
package kconfig
