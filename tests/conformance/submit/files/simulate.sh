#!/bin/bash
# Run one step of a Monte Carlo simulation.
seed=${1:-0}
steps=${2:-1000}
echo "seed=$seed steps=$steps"
for i in $(seq 1 3); do echo "step $i"; done
