//! One error type for the client core, with a kind that the Python boundary maps to an exception class.
