# Setup (the same cell opens every notebook of the course): device, seeds, data.
import hashlib, os, pathlib, random, urllib.request

import numpy as np
import torch

if torch.cuda.is_available():
    DEVICE = "cuda"
elif torch.backends.mps.is_available():
    DEVICE = "mps"
else:
    DEVICE = "cpu"
SEED = 1337
random.seed(SEED); np.random.seed(SEED); torch.manual_seed(SEED)

DATASETS = {  # file name: (canonical address, sha256)
    "names.txt": (
        "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt",
        "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"),
    "tinyshakespeare.txt": (
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"),
}

def _sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()

def course_data(name):
    """Path to a verified copy of a course data set: the working directory, else
    $COURSE_DATA_DIR, else a download into ~/.cache/zero-to-hero-graded."""
    url, sha = DATASETS[name]
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "zero-to-hero-graded"
    folders = [pathlib.Path.cwd(), os.environ.get("COURSE_DATA_DIR"), cache]
    for path in [pathlib.Path(f) / name for f in folders if f]:
        if path.is_file():
            if _sha256(path) != sha:
                raise RuntimeError(f"{path} is not the course's {name} (sha256 mismatch): delete or replace it and run this cell again.")
            return path
    base = os.environ.get("COURSE_DATA_BASE_URL")  # tests only: a local server instead of GitHub
    if base:
        url = base.rstrip("/") + "/" + name
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / (name + ".partial")
    try:
        urllib.request.urlretrieve(url, partial)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"could not download {name} from {url} ({err}): check your connection, or put {name} in this folder or in $COURSE_DATA_DIR.") from None
    if _sha256(partial) != sha:
        partial.unlink()
        raise RuntimeError(f"the download of {name} from {url} is corrupt (sha256 mismatch): run this cell again, or put a good copy in this folder.")
    return partial.replace(cache / name)

print(f"device: {DEVICE}, seed: {SEED}, torch {torch.__version__}")
