"""The worked answers of the exercises: self-contained NumPy files, one per exercise.

``minigan exercise NAME`` writes one of them with the marked function bodies blanked
(the hints kept); ``--solution`` writes it whole. Markers: a body between
``# -- forward --`` / ``# -- backward --`` and ``# -- end --``; lines starting with
``# hint:`` stay in the exercise; a line ending in ``# given`` stays too.
"""
