"""Train the logistic regression of week 2 with your own gradient_descent_step and save
logreg.safetensors next to submission.py.

    python train_logreg.py            # about 20 seconds on a laptop CPU

digits_train.npz holds 1,258 of scikit-learn's 1,797 8x8 digits (images uint8 0..16, labels
0..9); the grader scores your model on the other 539, which you never see. Try a held-out
part of the training file to choose the number of steps and the learning rate.
"""

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from submission import build_logreg, gradient_descent_step

HERE = Path(__file__).resolve().parent
STEPS = 3000
LEARNING_RATE = 0.5


def main() -> None:
    data = np.load(HERE / "digits_train.npz")
    x = torch.from_numpy(data["images"].reshape(len(data["images"]), -1).astype(np.float32) / 16.0)
    y = torch.from_numpy(data["labels"])
    weight, bias = torch.zeros(64, 10), torch.zeros(10)
    for step in range(STEPS):
        weight, bias = gradient_descent_step(weight, bias, x, y, LEARNING_RATE)
        if step % 500 == 0:
            accuracy = ((x @ weight + bias).argmax(dim=1) == y).float().mean().item()
            print(f"step {step:5d}  training accuracy {accuracy:.3f}")
    model = build_logreg()
    # nn.Linear keeps its weight as [out_features, in_features]: the transpose of ours.
    model.linear.weight.data = weight.T.contiguous()
    model.linear.bias.data = bias
    save_file(model.state_dict(), str(HERE / "logreg.safetensors"))
    print("saved logreg.safetensors")


if __name__ == "__main__":
    main()
