"""The face check against the ID card photo (人证核验), on the terminal only.

``model_files`` pins the two ONNX models (stdlib only, so the fetch tool can use it),
``models`` loads them, ``engine`` detects, embeds and compares faces, ``liveness`` is the pure
head-turn challenge and ``check`` runs one attempt over a camera's frames. No Qt, no network,
nothing written to disk: frames, crops and features live in memory for one attempt.
"""
