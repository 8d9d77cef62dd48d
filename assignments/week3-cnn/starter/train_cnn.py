"""Train the CNN of build_model() on the 60,000 Fashion-MNIST training images and save
cnn.safetensors next to submission.py.

    python train_cnn.py --epochs 4

The data come from torchvision (downloaded once into ./data), or from Debian's
dataset-fashion-mnist package when it is installed. The first 5,000 images are held out for
validation; the grader scores on the 10,000 official test images, which you must not train on.
"""

import argparse
import gzip
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from submission import build_model

HERE = Path(__file__).resolve().parent
DEBIAN_COPY = Path("/usr/share/datasets/fashion-mnist")


def load_training_images() -> tuple[torch.Tensor, torch.Tensor]:
    """float32 [60000, 1, 28, 28] in [0, 1] and int64 labels."""
    if (DEBIAN_COPY / "train-images-idx3-ubyte.gz").is_file():
        images = np.frombuffer(
            gzip.open(DEBIAN_COPY / "train-images-idx3-ubyte.gz").read(), np.uint8, offset=16
        )
        labels = np.frombuffer(
            gzip.open(DEBIAN_COPY / "train-labels-idx1-ubyte.gz").read(), np.uint8, offset=8
        )
        images, labels = (
            torch.from_numpy(images.reshape(-1, 28, 28).copy()),
            torch.from_numpy(labels.copy()),
        )
    else:
        from torchvision.datasets import FashionMNIST

        data = FashionMNIST(str(HERE / "data"), train=True, download=True)
        images, labels = data.data, data.targets
    return images.float().div(255.0)[:, None], labels.long()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=2e-3)
    args = parser.parse_args()
    torch.manual_seed(0)
    images, labels = load_training_images()
    val_images, val_labels, images, labels = (
        images[:5000],
        labels[:5000],
        images[5000:],
        labels[5000:],
    )
    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        model.train()
        for batch in torch.randperm(len(images)).split(128):
            loss = F.cross_entropy(model(images[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            predictions = torch.cat([model(b).argmax(1) for b in val_images.split(1000)])
        print(
            f"epoch {epoch + 1}: validation accuracy {(predictions == val_labels).float().mean():.4f}"
        )
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()}, str(HERE / "cnn.safetensors")
    )
    print("saved cnn.safetensors")


if __name__ == "__main__":
    main()
