// Experiments on models: protocols, inhibitors, screens, sweeps and plate plans.
import CascadeCore
