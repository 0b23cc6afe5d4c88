"""Driver for apps/coordinator/src/interop/pythonModels.test.ts: runs every case the TypeScript test wrote to a folder
on both engines, in one process, and writes what each gave back to that folder.

The folder's path comes as the first argument, or on stdin once PyTorch is imported (the test starts this first).

folder/cases.json: {"predict": [case], "train": [case], "refuse": [case]}; a case names its model, inputShape,
numClasses, topology (uploaded models), weights (an FLKW file), x (raw float32 file), labels, config, proximalMu.
folder/results.json: per case id and engine, the output's raw float32 file name, or {"refused": reason}.
"""

import json
import os
import sys

import numpy as np

from flock_client.models import ModelRefused, build_model, torch_available
from flock_client.wire import decode_weights

ENGINES = ("torch", "numpy")


def main(folder: str) -> None:
    cases = json.load(open(os.path.join(folder, "cases.json")))
    results = {}

    def read_f32(name):
        return np.fromfile(os.path.join(folder, name), dtype="<f4")

    def trainer_for(case, engine):
        weights = decode_weights(open(os.path.join(folder, case["weights"]), "rb").read())
        trainer = build_model(case["model"], weights.manifest, case["inputShape"], case["numClasses"], case.get("topology"), prefer=engine)
        if trainer.engine != engine:
            raise ModelRefused(f"{engine} is not installed")
        trainer.set_weights(weights.values)
        return trainer

    def each_engine(case, run):
        out = {}
        for engine in ENGINES:
            try:
                values = run(trainer_for(case, engine))
            except ModelRefused as refused:
                out[engine] = {"refused": str(refused)}
                continue
            name = f"{case['id']}.{engine}.out"
            np.asarray(values, dtype="<f4").tofile(os.path.join(folder, name))
            out[engine] = {"file": name}
        results[case["id"]] = out

    for case in cases["predict"]:
        x = read_f32(case["x"]).reshape([-1, *case["inputShape"]])
        each_engine(case, lambda t: t.predict(x))
    for case in cases["train"]:
        x = read_f32(case["x"]).reshape([-1, *case["inputShape"]])
        labels = np.asarray(case["labels"])
        each_engine(case, lambda t: (t.train(x, labels, case["config"], case.get("proximalMu", 0.0), order="identity"), t.get_weights())[1])
    for case in cases["refuse"]:
        try:
            build_model(case["model"], case["manifest"], case["inputShape"], case["numClasses"], case.get("topology"))
            results[case["id"]] = {"accepted": True}
        except ModelRefused as refused:
            results[case["id"]] = {"refused": str(refused)}
    json.dump(results, open(os.path.join(folder, "results.json"), "w"))


if __name__ == "__main__":
    torch_available()  # imports PyTorch now, while the caller is still writing the cases
    main(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.readline().strip())
