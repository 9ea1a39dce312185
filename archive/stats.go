package archive

// Stats summarises a universe, as `pdvm repo stats` prints it.
type Stats struct {
	Stanzas      int `json:"stanzas"`       // stanzas read from all indexes
	Packages     int `json:"packages"`      // distinct (name, version, arch)
	Names        int `json:"names"`         // distinct real package names
	VirtualNames int `json:"virtual_names"` // names only ever provided, never real
	Provided     int `json:"provided_names"`
	Essential    int `json:"essential"` // packages with Essential: yes
	Required     int `json:"required"`  // packages with Priority: required
	// Relations counts, per field, the clauses (comma-separated entries)
	// and atoms (alternatives) over all packages.
	Relations []RelStats  `json:"relations"`
	Suites    []SuiteStat `json:"suites"`
}

// RelStats counts one relationship field.
type RelStats struct {
	Kind     string `json:"kind"`
	Packages int    `json:"packages"` // packages that have the field
	Clauses  int    `json:"clauses"`
	Atoms    int    `json:"atoms"`
	// Alternatives counts clauses with more than one atom; Versioned
	// counts atoms with a version constraint.
	Alternatives int `json:"alternatives"`
	Versioned    int `json:"versioned"`
}

// SuiteStat describes one index the universe was read from.
type SuiteStat struct {
	Suite      string `json:"suite"`
	Component  string `json:"component"`
	Arch       string `json:"arch"`
	Date       string `json:"date"`
	ValidUntil string `json:"valid_until,omitempty"`
	Packages   int    `json:"packages"`
	Source     string `json:"source"`
}

// Stats computes the summary.
func (u *Universe) Stats() Stats {
	s := Stats{Stanzas: u.Stanzas, Packages: len(u.Packages), Names: len(u.byName)}
	for n := range u.providers {
		s.Provided++
		if len(u.byName[n]) == 0 {
			s.VirtualNames++
		}
	}
	rs := make([]RelStats, NumKinds)
	for k := range rs {
		rs[k].Kind = Kind(k).String()
	}
	per := make([]int, len(u.Origins))
	for i := range u.Packages {
		p := &u.Packages[i]
		if p.Essential {
			s.Essential++
		}
		if p.Priority == "required" {
			s.Required++
		}
		for o := range per {
			if p.Origins&(1<<uint(o)) != 0 {
				per[o]++
			}
		}
		for k, rel := range p.Rel {
			if len(rel) == 0 {
				continue
			}
			r := &rs[k]
			r.Packages++
			r.Clauses += len(rel)
			for _, c := range rel {
				r.Atoms += len(c)
				if len(c) > 1 {
					r.Alternatives++
				}
				for _, a := range c {
					if a.Op != 0 {
						r.Versioned++
					}
				}
			}
		}
	}
	s.Relations = rs
	for i, o := range u.Origins {
		s.Suites = append(s.Suites, SuiteStat{Suite: o.Suite, Component: o.Component, Arch: o.Arch, Date: o.Date, ValidUntil: o.ValidUntil, Packages: per[i], Source: o.Source})
	}
	return s
}
