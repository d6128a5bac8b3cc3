"""Simulated students of a3 `network_visualization`: planted mistakes in the saliency map,
integrated gradients, Grad-CAM, the fooling loop and the class-visualisation step, costing
exactly the cells listed, and one correct solution written differently. Two broken students
carry two mistakes each, in functions that do not call each other and cost disjoint cells, so
one notebook run proves both."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("network_visualization",)
GID = "a3_network_visualization"
ATTRIBUTIONS, SYNTHESIS = "attributions.py", "image_synthesis.py"

STUDENTS = [
    SimulatedStudent(
        "visualization_alt_correct",
        "correct, written differently: gradients by .backward() on a leaf copy, the path of integrated "
        "gradients from torch.linspace, Grad-CAM weights with einsum, the box as one clamp with tensor bounds",
        notebooks=NOTEBOOK,
        edits=(
            Edit(ATTRIBUTIONS, "    images = images.detach().requires_grad_(True)\n"
                               "    (gradient,) = torch.autograd.grad(class_scores(model, images, labels).sum(), images)\n",
                 "    leaf = images.detach().clone().requires_grad_()\n"
                 "    class_scores(model, leaf, labels).sum().backward()\n"
                 "    gradient = leaf.grad\n"),
            Edit(ATTRIBUTIONS, "    alphas = (torch.arange(steps, dtype=images.dtype, device=images.device) + 0.5) / steps\n",
                 "    half = 0.5 / steps\n"
                 "    alphas = torch.linspace(half, 1 - half, steps, dtype=images.dtype, device=images.device)\n"),
            Edit(ATTRIBUTIONS, "    weights = gradients.mean(dim=(2, 3), keepdim=True)  # (N, K, 1, 1)\n"
                               "    cam = torch.relu((weights * activations).sum(dim=1))\n",
                 "    weights = gradients.sum(dim=(2, 3)) / (gradients.shape[2] * gradients.shape[3])\n"
                 "    cam = torch.einsum(\"nk,nkhw->nhw\", weights, activations).clamp(min=0)\n"),
            Edit(SYNTHESIS, "        moved = torch.minimum(torch.maximum(moved, original - max_change), original + max_change).clamp(0, 1)\n",
                 "        moved = torch.clamp(moved, (original - max_change).clamp(min=0), (original + max_change).clamp(max=1))\n"),
        ),
    ),
    SimulatedStudent(
        "saliency_without_abs_and_fooling_without_box",
        "the saliency map takes the largest signed gradient over the channels, not the largest absolute "
        "value; and the fooling loop clamps to [0, 1] but never back into the max_change box around the "
        "original",
        notebooks=NOTEBOOK,
        edits=(Edit(ATTRIBUTIONS, "    saliency = input_gradient(model, images, labels).abs().amax(dim=1)\n",
                    "    saliency = input_gradient(model, images, labels).amax(dim=1)\n"),
               Edit(SYNTHESIS, "        moved = torch.minimum(torch.maximum(moved, original - max_change), original + max_change).clamp(0, 1)\n",
                    "        moved = moved.clamp(0, 1)\n")),
        loses=(f"{GID}_saliency", f"{GID}_smoothgrad", f"{GID}_fooling_images"),
    ),
    SimulatedStudent(
        "integrated_gradients_left_sum_and_class_visualization_rewards_l2",
        "integrated gradients sample the path at k / steps (the left Riemann sum), not the midpoints; "
        "and the class-visualisation objective adds the L2 penalty instead of subtracting it",
        notebooks=NOTEBOOK,
        edits=(Edit(ATTRIBUTIONS, "    alphas = (torch.arange(steps, dtype=images.dtype, device=images.device) + 0.5) / steps\n",
                    "    alphas = torch.arange(steps, dtype=images.dtype, device=images.device) / steps\n"),
               Edit(SYNTHESIS, "    objective = model(image)[0, target] - l2 * (image - 0.5).square().sum()\n",
                    "    objective = model(image)[0, target] + l2 * (image - 0.5).square().sum()\n")),
        loses=(f"{GID}_integrated_gradients", f"{GID}_class_visualization"),
    ),
    SimulatedStudent(
        "grad_cam_without_relu",
        "Grad-CAM keeps negative evidence (no ReLU)",
        notebooks=NOTEBOOK,
        edits=(Edit(ATTRIBUTIONS, "    cam = torch.relu((weights * activations).sum(dim=1))\n",
                    "    cam = (weights * activations).sum(dim=1)\n"),),
        loses=(f"{GID}_grad_cam",),
    ),
]
