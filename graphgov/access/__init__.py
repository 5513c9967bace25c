"""Access: IAM policies parsed and evaluated at the time of the act, and the CAN_* edges derived from them."""
