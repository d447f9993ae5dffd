#!/usr/bin/env python3
"""Process one sample."""
import sys

print("processing", sys.argv[1:])
