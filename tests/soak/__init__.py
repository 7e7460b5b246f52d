"""`make soak`: a bounded load with injected faults; every acknowledged write is checked."""
