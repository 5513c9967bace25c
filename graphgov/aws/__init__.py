"""AWS: sessions and account fan-out, the pullers, the push path's Lambda handler, setup."""
