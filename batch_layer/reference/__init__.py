"""A shop's own products, stores and customers: validated loads, versions, the effective table."""
