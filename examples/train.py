"""Train a small tabular classifier: the sample workspace's training script.

    python train.py --epochs 20 --lr 3e-3

Seeds everything, keeps a validation split, logs metrics like Lightning's CSVLogger
(lightning_logs/version_N/metrics.csv) and saves the weights as safetensors.
"""
import argparse
import csv
import random
from pathlib import Path

import torch
from torch import nn


class TinyClassifier(nn.Module):
    """Two-layer MLP: 8 features -> 16 hidden -> 3 classes."""

    def __init__(self, in_features: int = 8, hidden: int = 16, classes: int = 3, dropout: float = 0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def make_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=generator)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    return x, y


def next_version(root: Path) -> Path:
    versions = [int(p.name.split("_")[1]) for p in root.glob("version_*") if p.name.split("_")[1].isdigit()]
    path = root / f"version_{max(versions, default=-1) + 1}"
    path.mkdir(parents=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    x, y = make_data(2000, args.seed)
    split = int(0.8 * len(x))
    (x_train, y_train), (x_val, y_val) = (x[:split], y[:split]), (x[split:], y[split:])

    model = TinyClassifier()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    log_dir = next_version(Path("lightning_logs"))
    with open(log_dir / "metrics.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", "step", "train_loss", "val_loss", "val_acc"])
        for epoch in range(args.epochs):
            model.train()
            optimizer.zero_grad()
            loss = loss_fn(model(x_train), y_train)
            loss.backward()
            optimizer.step()
            model.eval()
            with torch.no_grad():
                logits = model(x_val)
                val_loss = loss_fn(logits, y_val).item()
                val_acc = (logits.argmax(dim=-1) == y_val).float().mean().item()
            writer.writerow([epoch, epoch, f"{loss.item():.6f}", f"{val_loss:.6f}", f"{val_acc:.6f}"])
            print(f"epoch {epoch}: train_loss {loss.item():.4f} val_loss {val_loss:.4f} val_acc {val_acc:.3f}")

    try:
        from safetensors.torch import save_file

        save_file(model.state_dict(), "models/tiny_classifier.safetensors")
    except ImportError:
        torch.save(model.state_dict(), "models/tiny_classifier.pt")


if __name__ == "__main__":
    main()
