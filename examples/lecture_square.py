"""The lecture's y = x² exercise, with only the imports changed.

A 1-8-8-1 ReLU network (``MultilayerPerceptron(1, 8)``) trained with Adam (lr 0.1) on
MSELoss for 10,000 full-batch epochs, on x = 5·randn(100, 1), y = x² + randn. Then the
model's parameters are listed and five fresh points are predicted, as on the slides.

    python examples/lecture_square.py [--epochs N] [--seed S]
"""

import argparse

import backprop as torch
import backprop.nn as nn
import backprop.optim as optim


class MultilayerPerceptron(nn.Module):  # 3 layers, with 2 hidden layers of the same size
    def __init__(self, input_size, hidden_size):
        # Call to the __init__ function of the super class
        super(MultilayerPerceptron, self).__init__()

        # Bookkeeping: Saving the initialization parameters
        self.input_size = input_size
        self.hidden_size = hidden_size

        # Defining of our layers
        self.linear = nn.Linear(self.input_size, self.hidden_size)
        self.linear2 = nn.Linear(self.hidden_size, self.hidden_size)
        self.linear3 = nn.Linear(self.hidden_size, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        linear = self.linear(x)
        linear2 = self.linear2(self.relu(linear))
        linear3 = self.linear3(self.relu(linear2))
        return linear3


def main(n_epoch=10000, seed=0, verbose=True):
    torch.manual_seed(seed)

    # Create the y data
    x = 5 * torch.randn(100, 1)
    # Add some noise to our goal y to generate our x
    y = torch.square(x) + torch.randn_like(x)

    # Instantiate the model
    model = MultilayerPerceptron(1, 8)
    # Define the optimizer
    adam = optim.Adam(model.parameters(), lr=1e-1)
    # Define loss using a predefined loss function
    loss_function = nn.MSELoss()

    for epoch in range(n_epoch):
        # Set the gradients to 0
        adam.zero_grad()
        # Get the model predictions
        y_pred = model(x)
        # Get the loss
        loss = loss_function(y_pred, y)
        # Print stats
        if verbose and epoch % 1000 == 0:
            print(f"Epoch {epoch}: traing loss: {loss}")
        # Compute the gradients
        loss.backward()
        # Take a step to optimize the weights
        adam.step()

    with torch.no_grad():
        final_loss = loss_function(model(x), y).item()

    # Let's see how well we do!
    x2 = 5 * torch.randn(5, 1)
    y2 = torch.square(x2)
    y_pred = model(x2)
    if verbose:
        print(list(model.named_parameters()))
        print(x2.tolist())
        print(y2.tolist())
        print(y_pred.tolist())
        print(f"final training MSE: {final_loss:.4f}")
    return model, final_loss, x2, y2, y_pred


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10000, help="training epochs (10000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    args = parser.parse_args()
    main(args.epochs, args.seed)
