"""``backprop.utils.data``: datasets, samplers, ``DataLoader`` and collation, with
``torch.utils.data``'s names, arguments and random-number use, so ``from torch.utils.data
import DataLoader, TensorDataset`` code runs unchanged under ``import backprop as torch``.

This package feeds the ``nn``/``optim`` loop a user writes by hand; ``backprop.fit`` has its
own batching (``backprop.data``) and does not use it.
"""

from .collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
