"""Example objectives and specs that show sprintopt on real workloads."""
