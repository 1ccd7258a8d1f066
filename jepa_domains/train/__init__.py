"""Training: config, the Fabric loop, checkpoints."""
