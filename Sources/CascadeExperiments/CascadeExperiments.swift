// Experiments on models: protocols, inhibitors, screens, sweeps and plate plans.
import CascadeCore
// Input files (YAML with located errors, units) are read with CascadeFormats; clients of
// this module see those types too.
@_exported import CascadeFormats
