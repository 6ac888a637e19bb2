"""One APIRouter per resource: sales events, and the operational probes."""
