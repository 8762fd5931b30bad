"""The built-in fault kinds, one module each: the registry (`sim.scenario.fault_kinds`) imports
every module here, and each registers its kind."""
