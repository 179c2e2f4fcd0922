"""Writes PyTorch files with the real torch (Debian python3-torch) and prints what torch.load sees in
them, as JSON: {file: {"tensors": {name: [dtype, shape]}, "scalars": {key: value}}}. Usage: DIR"""
import json
import os
import sys

import torch
from torch import nn

out = sys.argv[1]
torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 6 * 6, 10))

    def forward(self, x):
        return self.head(torch.relu(self.bn(self.conv(x))))


net = Net().eval()
sd = net.state_dict()
expected = {}


def tensors(state, prefix=""):
    found = {}
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            found[name] = [str(value.dtype).replace("torch.", ""), list(value.shape)]
        elif isinstance(value, dict):
            found.update(tensors(value, f"{name}."))
    return found


def save(name, obj, **kwargs):
    path = os.path.join(out, name)
    torch.save(obj, path, **kwargs)
    return path


save("state_dict.pt", sd)
expected["state_dict.pt"] = {"tensors": tensors(sd), "scalars": {}}

save("legacy.pt", sd, _use_new_zipfile_serialization=False)
expected["legacy.pt"] = {"tensors": tensors(sd), "scalars": {}}

mixed = {"half": torch.randn(4, 4).half(), "bf16": torch.randn(2, 3).bfloat16(), "ids": torch.arange(5), "mask": torch.ones(3, dtype=torch.bool),
         "view": torch.randn(10, 10)[2:5]}
save("mixed.pt", mixed)
expected["mixed.pt"] = {"tensors": tensors(mixed), "scalars": {}}

optimizer = torch.optim.Adam(net.parameters())
net.train()
net(torch.randn(2, 3, 8, 8)).sum().backward()
optimizer.step()
checkpoint = {"epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.1.0", "state_dict": {f"model.{k}": v for k, v in net.state_dict().items()},
              "optimizer_states": [optimizer.state_dict()], "hyper_parameters": {"lr": 0.001}}
save("model.ckpt", checkpoint)
ckpt_tensors = tensors(checkpoint["state_dict"], "state_dict.")
for i, state in optimizer.state_dict()["state"].items():
    for key, value in state.items():
        if isinstance(value, torch.Tensor):
            ckpt_tensors[f"optimizer_states.0.state.{i}.{key}"] = [str(value.dtype).replace("torch.", ""), list(value.shape)]
expected["model.ckpt"] = {"tensors": ckpt_tensors, "scalars": {"epoch": "3", "global_step": "120", "pytorch-lightning_version": "2.1.0"}}

net.eval()
save("full_model.pth", net)
expected["full_model.pth"] = {"tensors": tensors(net.state_dict()), "scalars": {}}

quantized = torch.ao.quantization.quantize_dynamic(nn.Sequential(nn.Linear(16, 8)), {nn.Linear}, dtype=torch.qint8)
save("quantized.pt", quantized.state_dict())
expected["quantized.pt"] = {"tensors": tensors(quantized.state_dict()), "scalars": {}}

torch.jit.trace(net, torch.randn(1, 3, 8, 8)).save(os.path.join(out, "traced.pt"))
expected["traced.pt"] = {"tensors": tensors(net.state_dict()), "scalars": {}}

print(json.dumps(expected))
