"""Settings and the data files people edit: the agency directory, plans, policies."""
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
