"""Scale-out: one executor for independent work (in process or Dask) and scenario sweeps."""
