"""The lecture's autograd example, with only the import changed.

    y = w2 * sigmoid(w1 * x)   at x = w1 = w2 = 0

PyTorch prints w1.grad = 0, w2.grad = 0.5 and x.grad = None (x does not require grad). The
second half is the lecture's own check, "How do we know that PyTorch is doing the right
thing?": central differences with ε = 0.001 give the same two numbers.
"""

import math

import backprop as torch

x = torch.tensor([0.0])
w1 = torch.tensor([0.0], requires_grad=True)
w2 = torch.tensor([0.0], requires_grad=True)

y = w2 * torch.sigmoid(w1 * x)
y.backward()

print(x, w1, w2)
print(w1.grad)
print(w2.grad)
print(x.grad)

# The lecture's numerical check, written exactly as on the slide.
epsilon = 0.001


def y2(w1, w2, x):
    def sigmoid(x):
        return 1 / (1 + math.exp(-x))

    return w2 * sigmoid(w1 * x)


def gradient_w1(w1, w2, x):
    return (y2(w1 + epsilon, w2, x) - y2(w1 - epsilon, w2, x)) / (2 * epsilon)


def gradient_w2(w1, w2, x):
    return (y2(w1, w2 + epsilon, x) - y2(w1, w2 - epsilon, x)) / (2 * epsilon)


x = 0.0
print(gradient_w1(0, 0, x))
print(gradient_w2(0, 0, x))

# The same check done by the library, in float64, for any function of tensors.
w1 = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
w2 = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
xt = torch.tensor([0.0], dtype=torch.float64)
print("gradcheck:", torch.gradcheck(lambda a, b: b * torch.sigmoid(a * xt), (w1, w2), eps=epsilon))
