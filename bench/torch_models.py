"""PyTorch eager equivalents of the workloads in `workloads.py`, written as idiomatic torch.

Each builder takes the `torch` module and the workload's keyword arguments and returns a
function doing one step. They use torch's native NCHW layout and its own modules, as a torch
user would write them; padding matches TF's SAME/VALID outputs (TF puts the odd padding row on
the bottom/right, hence the explicit F.pad before AlexNet's first convolution). The data is the
same NumPy data the graph workloads feed. Under `run.py --device gpu` torch's default device is
CUDA, so models and data are made there; what a graph workload fetches, which `sess.run`
returns as NumPy arrays on the host, is brought to the host here too (`.cpu()`, free on the
CPU).
"""
import workloads


def _lrn(torch, x):
    # TF's lrn sums (2r+1) channels and scales the sum by alpha; torch divides alpha by size.
    size = 2 * workloads.LRN_RADIUS + 1
    return torch.nn.functional.local_response_norm(
        x, size, alpha=workloads.LRN["alpha"] * size, beta=workloads.LRN["beta"],
        k=workloads.LRN["bias"])


def scalar_add(torch):
    def step():
        return (torch.as_tensor(1.0) + torch.as_tensor(2.0)).cpu().numpy()
    return step


def elementwise_chain(torch, size, length):
    x = torch.as_tensor(workloads.make_chain_input(size))
    ops = {"mul": lambda y: y * 1.0001, "add": lambda y: y + 0.001, "tanh": torch.tanh,
           "sub": lambda y: y - 0.002, "abs": torch.abs}
    chain = [ops[workloads.CHAIN_CYCLE[i % len(workloads.CHAIN_CYCLE)]] for i in range(length)]

    def step():
        y = x
        for op in chain:
            y = op(y)
        return y.cpu().numpy()
    return step


def _lenet_module(torch):
    nn = torch.nn

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
            self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
            self.fc1 = nn.Linear(7 * 7 * 64, 1024)
            self.fc2 = nn.Linear(1024, 10)
            self.drop = nn.Dropout(0.5)

        def forward(self, x):
            F = nn.functional
            x = x.view(-1, 1, 28, 28)
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = self.drop(F.relu(self.fc1(x.flatten(1))))
            return self.fc2(x)

    return LeNet()


def lenet_train(torch, batch):
    model = _lenet_module(torch).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images, labels = (torch.as_tensor(a) for a in workloads.make_mnist_batch(batch))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(images), labels)  # soft (one-hot) targets
        loss.backward()
        optimizer.step()
    return step


def lenet_forward(torch, batch):
    model = _lenet_module(torch).eval()
    images = torch.as_tensor(workloads.make_mnist_batch(batch)[0])

    def step():
        with torch.no_grad():
            return torch.softmax(model(images), dim=1).cpu().numpy()
    return step


def _alexnet(torch, batch):
    F = torch.nn.functional
    images = torch.randn(batch, 3, workloads.IMAGE_SIZE, workloads.IMAGE_SIZE) * 0.1
    shapes = ((64, 3, 11), (192, 64, 5), (384, 192, 3), (256, 384, 3), (256, 256, 3))
    params = []
    for n_out, n_in, k in shapes:
        params.append((torch.randn(n_out, n_in, k, k) * 0.1).requires_grad_())
        params.append(torch.zeros(n_out, requires_grad=True))

    def forward():
        w = params
        x = F.relu(F.conv2d(F.pad(images, (3, 4, 3, 4)), w[0], w[1], stride=4))
        x = F.max_pool2d(_lrn(torch, x), 3, 2)
        x = F.max_pool2d(_lrn(torch, F.relu(F.conv2d(x, w[2], w[3], padding=2))), 3, 2)
        x = F.relu(F.conv2d(x, w[4], w[5], padding=1))
        x = F.relu(F.conv2d(x, w[6], w[7], padding=1))
        x = F.relu(F.conv2d(x, w[8], w[9], padding=1))
        return F.max_pool2d(x, 3, 2)
    return forward, params


def alexnet_forward(torch, batch):
    forward, _ = _alexnet(torch, batch)

    def step():
        with torch.no_grad():
            return forward().cpu().numpy()
    return step


def alexnet_forward_backward(torch, batch):
    forward, params = _alexnet(torch, batch)

    def step():
        pool5 = forward()
        grads = torch.autograd.grad(0.5 * pool5.pow(2).sum(), params)  # tf.nn.l2_loss
        return [g.cpu() for g in grads]
    return step


def vgg16_forward_backward(torch, batch):
    nn = torch.nn
    layers, n_in = [], 3
    for n_out, convs in workloads.VGG16_BLOCKS:
        for _ in range(convs):
            layers += [nn.Conv2d(n_in, n_out, 3, padding=1), nn.ReLU()]
            n_in = n_out
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(7 * 7 * 512, 4096), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 1000), nn.ReLU()]
    model = nn.Sequential(*layers).train()
    params = list(model.parameters())
    images = torch.randn(batch, 3, workloads.IMAGE_SIZE, workloads.IMAGE_SIZE) * 0.1

    def step():
        return [g.cpu() for g in torch.autograd.grad(0.5 * model(images).pow(2).sum(), params)]
    return step


def cifar_train(torch, batch):
    nn, F = torch.nn, torch.nn.functional
    conv1, conv2 = nn.Conv2d(3, 64, 5, padding=2), nn.Conv2d(64, 64, 5, padding=2)
    fc3, fc4, fc5 = nn.Linear(6 * 6 * 64, 384), nn.Linear(384, 192), nn.Linear(192, 10)
    params = [p for m in (conv1, conv2, fc3, fc4, fc5) for p in m.parameters()]
    optimizer = torch.optim.SGD(params, lr=0.1)
    images, labels = workloads.make_cifar_batch(batch)
    images = torch.as_tensor(images).permute(0, 3, 1, 2).contiguous()
    labels = torch.as_tensor(labels).long()

    def pool(x):  # TF's 3x3/2 SAME pooling: the last window hangs over the bottom/right edge
        return F.max_pool2d(x, 3, 2, ceil_mode=True)

    def step():
        optimizer.zero_grad(set_to_none=True)
        x = _lrn(torch, pool(F.relu(conv1(images))))
        x = pool(_lrn(torch, F.relu(conv2(x))))
        x = F.relu(fc4(F.relu(fc3(x.flatten(1)))))
        loss = F.cross_entropy(fc5(x), labels)
        loss = loss + 0.004 * 0.5 * (fc3.weight.pow(2).sum() + fc4.weight.pow(2).sum())
        loss.backward()
        optimizer.step()
    return step


BUILDERS = {
    "scalar_latency": scalar_add,
    "elementwise_chain": elementwise_chain,
    "lenet_forward": lenet_forward,
    "lenet_train_b50": lenet_train,
    "lenet_train_b256": lenet_train,
    "cifar_train": cifar_train,
    "alexnet_forward": alexnet_forward,
    "alexnet_fwd_bwd": alexnet_forward_backward,
    "vgg16_fwd_bwd": vgg16_forward_backward,
}
