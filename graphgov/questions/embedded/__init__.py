"""The saved questions answered on the embedded (networkx) store, one module per family."""
