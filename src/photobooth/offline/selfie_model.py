"""The selfie segmentation model behind one small port, on either of two runtimes.

:class:`SelfieModel` takes the model's square RGB input and answers the person probability of each pixel. Two
runtimes run the same weights:

- :class:`LiteRTSelfieModel`: Google's LiteRT (``ai-edge-litert``) on the original ``selfie_segmentation.tflite``.
  The offline booth's default where LiteRT has a wheel (Linux and Windows on x86-64, macOS on Apple silicon).
- :class:`OnnxSelfieModel`: ONNX Runtime on ``selfie_segmentation.onnx``, the same network translated op by op by
  ``scripts/convert-selfie-model``. ONNX Runtime has wheels for Linux on aarch64, Lambda's arm64, where LiteRT has
  none: the segment function runs this one (``PHOTOBOOTH_SEGMENTATION_BACKEND=selfie``). Its probabilities equal
  LiteRT's within 5e-3 (1e-4 on average) (tests/unit/test_selfie_model.py).

Which runtime runs a model file follows from the file's suffix (:func:`load_selfie_model`). Both run on one thread:
an inference takes a few milliseconds, and a second photo's steps keep the other core.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

MODELS = Path(__file__).with_name("models")
SELFIE_TFLITE = MODELS / "selfie_segmentation.tflite"
SELFIE_ONNX = MODELS / "selfie_segmentation.onnx"


class SelfieModel(Protocol):
    """MediaPipe's selfie segmentation network: ``side`` x ``side`` RGB in, one probability per pixel out."""

    side: int

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """``rgb``: float32 ``(side, side, 3)`` in 0..1. Answers float32 ``(side, side)`` person probability."""
        ...


class LiteRTSelfieModel:
    """The .tflite on LiteRT. Its interpreter is not thread-safe: one inference at a time, under a lock."""

    def __init__(self, path: Path = SELFIE_TFLITE) -> None:
        from ai_edge_litert.interpreter import Interpreter  # ImportError where LiteRT has no wheel

        # LiteRT answers a missing or unreadable file with ValueError
        self._interpreter = Interpreter(model_path=str(path), num_threads=1)
        self._interpreter.allocate_tensors()
        (self._input,) = self._interpreter.get_input_details()
        (self._output,) = self._interpreter.get_output_details()
        self.side = int(self._input["shape"][1])
        self._lock = threading.Lock()

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        with self._lock:
            self._interpreter.set_tensor(self._input["index"], rgb[np.newaxis].astype(np.float32, copy=False))
            self._interpreter.invoke()
            output = self._interpreter.get_tensor(self._output["index"])
        return np.array(output[0, :, :, 0], np.float32)


class OnnxSelfieModel:
    """The .onnx on ONNX Runtime's CPU provider. ``InferenceSession.run`` may be called from several threads."""

    def __init__(self, path: Path = SELFIE_ONNX) -> None:
        import onnxruntime  # ImportError where it is not installed

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # no thread pool: nothing but this thread works, before or after a snapshot
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: its warnings name no photo, but say nothing an operator can use
        try:
            self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # its pybind errors (NoSuchFile, InvalidProtobuf, ...) derive from Exception only
            raise ValueError(f"ONNX Runtime could not load {path.name}: {error}") from error
        (model_input,) = self._session.get_inputs()
        self._input_name = model_input.name
        self.side = int(model_input.shape[1])

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        (output,) = self._session.run(None, {self._input_name: rgb[np.newaxis].astype(np.float32, copy=False)})
        return np.array(output[0, :, :, 0], np.float32)


def load_selfie_model(path: Path) -> SelfieModel:
    """The runtime for ``path``'s format: ``.onnx`` on ONNX Runtime, anything else (``.tflite``) on LiteRT.

    Raises ImportError when that runtime is not installed, ValueError when the file is missing or not a model."""
    if path.suffix == ".onnx":
        return OnnxSelfieModel(path)
    return LiteRTSelfieModel(path)
