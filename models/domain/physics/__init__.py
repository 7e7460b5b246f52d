"""Physics of the grid: pure, vectorised functions from arrays and parameters to arrays.

- `timeline`: the timeframes of a run as UTC and local-time arrays, and power to integer Wh.
- `noise`: seeded noise keyed by absolute time (a sub-window gives the same numbers).
- `weather`: synthetic or measured weather; pvlib computes the sun's position, clear sky
  and the split of global into direct and diffuse irradiance.
- `wind`: turbine output; windpowerlib corrects wind to hub height and reads power curves.
- `solar`: PV output; pvlib computes plane-of-array irradiance and cell temperature.
- `loads`: load profiles, scheduled loads, appliances and per-owner sums (numpy only).
- `battery`: battery dispatch by the controls into exact integer flows (numpy only).

Only numpy, pvlib and windpowerlib are imported here beyond the standard library; the rest
of `models.domain` stays standard-library only. Importing this package imports nothing heavy:
each module imports its own libraries.
"""
