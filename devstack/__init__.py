"""The embedded local stack: reference catalog, sales simulator and `salesflow up`."""
