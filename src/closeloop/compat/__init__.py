"""Compatible intakes: other products' APIs as thin routers onto closeloop's own services."""
