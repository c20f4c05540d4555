// Placeholder: replaced by the SimNet implementation.
