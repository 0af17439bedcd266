#!/bin/bash
# The paper's sp500 experiment as a Slurm job array: one array task per shard. SLURM_ARRAY_TASK_ID
# (counted from the array's first index) and SLURM_ARRAY_TASK_COUNT give the shard; a requeued
# task resumes its folder. When every task has finished:
#   node bin/alm-rnn.mjs experiment merge results/sp500 results/sp500-shard-*
#SBATCH --job-name=alm-rnn-sp500
#SBATCH --array=0-5
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=04:00:00
#SBATCH --requeue
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-.}"
dir="results/sp500-shard-$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0}))"
if [ -f "$dir/results.json" ]; then
  exec node bin/alm-rnn.mjs experiment --resume "$dir"
else
  exec node bin/alm-rnn.mjs experiment --dataset sp500 --repeats 10 --out "$dir"
fi
