"""``python -m causalllm``."""

from .cli import main

main()
