"""Simulated students of a2 `dropout`: submissions with planted mistakes (one a mask drawn on the
CPU whatever the input's device, caught without a GPU), each costing exactly the cells listed,
and one correct solution written differently."""

from dl4cv.course.classroom import Edit, SimulatedStudent

NOTEBOOK = ("dropout",)
GID = "a2_dropout"

TRAIN_BODY = """        uniform = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)  # like x
        mask = (uniform >= p).to(x.dtype) / (1 - p)  # like x: 0 or 1 / (1 - p)
        out = x * mask
"""

STUDENTS = [
    SimulatedStudent(
        "drop_alt_correct",
        "correct, written differently: a Bernoulli keep-mask, torch.where, backward via where",
        notebooks=NOTEBOOK,
        edits=(
            Edit("dropout.py", TRAIN_BODY,
                 "        keep = torch.bernoulli(torch.full_like(x, 1 - p), generator=generator).bool()\n"
                 "        mask = torch.where(keep, torch.full_like(x, 1 / (1 - p)), torch.zeros_like(x))\n"
                 "        out = torch.where(keep, x / (1 - p), torch.zeros_like(x))\n"),
            Edit("dropout.py", "        return dout * mask\n",
                 "        return torch.where(mask != 0, dout * mask, torch.zeros_like(dout))\n"),
        ),
    ),
    SimulatedStudent(
        "drop_no_rescale",
        "plain (non-inverted) dropout: kept units are not divided by 1 - p, in forward and backward",
        notebooks=NOTEBOOK,
        edits=(Edit("dropout.py", "        mask = (uniform >= p).to(x.dtype) / (1 - p)  # like x: 0 or 1 / (1 - p)\n",
                    "        mask = (uniform >= p).to(x.dtype)\n"),),
        loses=(f"{GID}_forward", f"{GID}_backward"),
    ),
    SimulatedStudent(
        "drop_functional_unseeded",
        "forward calls torch.nn.functional.dropout (which ignores the seed) and reads the mask off "
        "its output",
        notebooks=NOTEBOOK,
        edits=(Edit("dropout.py", TRAIN_BODY,
                    "        out = torch.nn.functional.dropout(x, p, training=True)\n"
                    "        mask = (out != 0).to(x.dtype) / (1 - p)\n"),),
        loses=(f"{GID}_seed", f"{GID}_rules", f"{GID}_fc_net"),
    ),
    SimulatedStudent(
        "drop_mask_on_the_cpu",
        "the mask drawn with torch.rand(x.shape, ...) without device=: right on the CPU, an error for inputs on a GPU",
        notebooks=NOTEBOOK,
        edits=(Edit("dropout.py", "        uniform = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)  # like x\n",
                    "        uniform = torch.rand(x.shape, generator=generator, dtype=x.dtype)\n"),),
        loses=(f"{GID}_rules",),
    ),
]
