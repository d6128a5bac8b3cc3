"""Simulated students of a1 `two_layer_net`: three planted backward-pass mistakes, a training loop
that never decays its learning rate, and one correct solution written differently. Each hands in
only two_layer_net.ipynb; `dl4cv prove a1 --notebook two_layer_net` grades them."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("two_layer_net",)
MODULE = "two_layer_net.py"

BACKWARD = """        dscores = log_probs.exp()  # (N, C), the softmax probabilities
        dscores[rows, y] -= 1
        dscores /= num_rows
        grads["W2"] = hidden.T @ dscores + 2 * reg * W2  # (H, C)
        grads["b2"] = dscores.sum(dim=0)  # (C,)
        dhidden = dscores @ W2.T  # (N, H)
        dpre = dhidden * (pre > 0)  # (N, H), the ReLU passes gradient only where it was open
        grads["W1"] = x.T @ dpre + 2 * reg * W1  # (D, H)
        grads["b1"] = dpre.sum(dim=0)  # (H,)
"""

LOSS = """        shifted = scores - scores.max(dim=1, keepdim=True).values  # (N, C)
        log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()  # (N, C)
        rows = torch.arange(num_rows, device=x.device)
        loss = -log_probs[rows, y].mean() + reg * ((W1 * W1).sum() + (W2 * W2).sum())
"""

ALT_LOSS_AND_BACKWARD = """        probs = torch.softmax(scores - scores.amax(dim=1, keepdim=True), dim=1)  # (N, C)
        one_hot = torch.zeros_like(scores).scatter_(1, y[:, None], 1.0)  # (N, C)
        data_loss = (torch.logsumexp(scores, dim=1) - (scores * one_hot).sum(dim=1)).mean()
        loss = data_loss + reg * (W1.pow(2).sum() + W2.pow(2).sum())
        ### END SOLUTION

        grads: dict[str, torch.Tensor] = {}
        ### BEGIN SOLUTION
        delta = (probs - one_hot) / num_rows  # (N, C)
        grads["b2"] = delta.sum(0)
        grads["W2"] = torch.mm(hidden.t(), delta) + reg * 2 * W2
        back = torch.where(pre > 0, delta @ W2.t(), torch.zeros_like(pre))  # (N, H)
        grads["b1"] = back.sum(0)
        grads["W1"] = torch.mm(x.t(), back) + reg * 2 * W1
"""

TRAIN = """            idx = torch.randint(x.shape[0], (batch_size,), generator=generator).to(x.device)  # (B,)
            x_batch, y_batch = x[idx], y[idx]  # (B, D), (B,)
            loss, grads = self.loss(x_batch, y=y_batch, reg=reg)
            for name, grad in grads.items():
                self.params[name] -= learning_rate * grad
            history["loss_history"].append(float(loss))
            if (it + 1) % iterations_per_epoch == 0:
                history["train_acc_history"].append((self.predict(x_batch) == y_batch).double().mean().item())
                history["val_acc_history"].append((self.predict(x_val) == y_val).double().mean().item())
                learning_rate *= learning_rate_decay
"""

ALT_TRAIN = """            step = learning_rate * learning_rate_decay ** (it // iterations_per_epoch)
            chosen = torch.multinomial(torch.ones(x.shape[0]), batch_size, replacement=True, generator=generator)
            chosen = chosen.to(x.device)
            loss, grads = self.loss(x[chosen], y[chosen], reg)
            self.params = {name: value - step * grads[name] for name, value in self.params.items()}
            history["loss_history"].append(loss.item())
            if it % iterations_per_epoch == iterations_per_epoch - 1:
                history["train_acc_history"].append((self.predict(x[chosen]) == y[chosen]).float().mean().item())
                history["val_acc_history"].append((self.predict(x_val) == y_val).float().mean().item())
"""

AUTOGRAD_BACKWARD = """        with torch.enable_grad():
            leaves = {name: value.detach().requires_grad_() for name, value in self.params.items()}
            s = (x @ leaves["W1"] + leaves["b1"]).clamp_min(0) @ leaves["W2"] + leaves["b2"]
            s = s - s.max(dim=1, keepdim=True).values
            lp = s - s.exp().sum(dim=1, keepdim=True).log()
            total = -lp[rows, y].mean() + reg * (leaves["W1"].pow(2).sum() + leaves["W2"].pow(2).sum())
            total.backward()
        grads = {name: leaf.grad for name, leaf in leaves.items()}
"""

STUDENTS = [
    SimulatedStudent(
        "twolayer_alt_correct",
        "correct, written differently: logsumexp loss, one-hot backward with torch.where, "
        "multinomial minibatches, learning rate from a closed formula, new parameter tensors",
        notebooks=NOTEBOOK,
        edits=(
            Edit(MODULE, LOSS + "        ### END SOLUTION\n\n        # Backward pass: the gradient of `loss` with respect to every parameter, by hand.\n"
                 "        grads: dict[str, torch.Tensor] = {}\n        ### BEGIN SOLUTION\n" + BACKWARD,
                 ALT_LOSS_AND_BACKWARD),
            Edit(MODULE, TRAIN, ALT_TRAIN),
            Edit(MODULE, "        return self.loss(x).argmax(dim=1)\n",
                 "        scores = self.loss(x)\n        return scores.max(dim=1).indices\n"),
        ),
    ),
    SimulatedStudent(
        "twolayer_no_reg_grad_w1",
        "the backward pass forgets the regulariser's gradient 2 * reg * W1",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, '        grads["W1"] = x.T @ dpre + 2 * reg * W1  # (D, H)\n',
                    '        grads["W1"] = x.T @ dpre  # (D, H)\n'),),
        loses=("a1_two_layer_net_backward",),
    ),
    SimulatedStudent(
        "twolayer_relu_passes_negatives",
        "the ReLU's backward lets gradient through where its input was negative; the wrong "
        "gradients also keep SGD from fitting the hidden checkerboard toy problem",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "        dpre = dhidden * (pre > 0)  # (N, H), the ReLU passes gradient only where it was open\n",
                    "        dpre = dhidden  # (N, H)\n"),),
        loses=("a1_two_layer_net_backward", "a1_two_layer_net_train"),
    ),
    SimulatedStudent(
        "twolayer_autograd_backward",
        "right gradients, but from autograd instead of a hand-written backward pass",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, BACKWARD, AUTOGRAD_BACKWARD),),
        loses=("a1_two_layer_net_no_shortcuts",),
    ),
    SimulatedStudent(
        "twolayer_no_lr_decay",
        "the training loop never decays its learning rate",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "                learning_rate *= learning_rate_decay\n", ""),),
        loses=("a1_two_layer_net_lr_decay",),
    ),
    SimulatedStudent(
        "twolayer_variable_named_nn",
        "a correct backward pass with local variables called nn and grad: names are no shortcut, full marks",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, "        rows = torch.arange(num_rows, device=x.device)\n",
                    "        nn = num_rows  # examples in the batch\n        rows = torch.arange(nn, device=x.device)\n"),),
    ),
    SimulatedStudent(
        "twolayer_autograd_engine",
        "gradients from autograd's engine called directly (no .backward() or torch.autograd.grad to switch off)",
        notebooks=NOTEBOOK,
        edits=(Edit(MODULE, BACKWARD, AUTOGRAD_BACKWARD.replace(
            "            total.backward()\n",
            "            engine = torch.autograd.Variable._execution_engine\n"
            "            engine.run_backward((total,), (torch.ones_like(total),), False, False, (), True, True)\n")),),
        loses=("a1_two_layer_net_no_shortcuts",),
    ),
]
