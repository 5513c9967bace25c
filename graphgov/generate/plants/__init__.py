"""What the generated logs must let graphgov find: the planted access mistakes, the deliberate faults in
the delivered files, and the situations issue 11's rules judge."""
