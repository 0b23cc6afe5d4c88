"""PyTorch reference for `npm run bench -- train`: the zoo's models, plain SGD, data resident on the GPU.
Prints one JSON line per case: {model, batch, samplesPerSec, device}. Usage: python3 train_torch.py [seconds]"""
import json, sys, time
import torch
from torch import nn

def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 200), nn.ReLU(), nn.Linear(200, 10))

def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 512), nn.ReLU(), nn.Linear(512, 10))

def cnn_small():
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(400, 10))

MODELS = {'mnist-mlp': mlp, 'mnist-cnn': cnn, 'mnist-cnn-small': cnn_small}

def samples_per_sec(build, batch, seconds, device):
    torch.manual_seed(0)
    model = build().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    n = batch * 30
    xs = torch.randint(0, 256, (n, 1, 28, 28), device=device, dtype=torch.uint8).float().div_(255)
    ys = torch.randint(0, 10, (n,), device=device)
    def epoch():
        order = torch.randperm(n, device=device)
        for b in range(0, n, batch):
            idx = order[b:b + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xs[idx]), ys[idx]).backward()
            opt.step()
    epoch()
    torch.cuda.synchronize()
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        epoch()
        torch.cuda.synchronize()
        done += n
    return done / (time.perf_counter() - start)

if __name__ == '__main__':
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    for name, build in MODELS.items():
        for batch in (10, 50):
            print(json.dumps({'model': name, 'batch': batch, 'samplesPerSec': round(samples_per_sec(build, batch, seconds, device), 1), 'device': device}), flush=True)
