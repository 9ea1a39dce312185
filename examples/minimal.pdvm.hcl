# minimal: the smallest useful VM: a kernel, pdvm's init and BusyBox, to
# see what pdvm adds when a description asks for almost nothing.
vm "minimal" {
  extends = "minimal"
  need    = ["busybox"]

  probe "shell" {
    command {
      run    = "busybox echo alive"
      expect = "alive"
    }
  }
}
