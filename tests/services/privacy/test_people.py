"""What names a person in others' words, and taking it out."""

from __future__ import annotations

from lti_tool.models import Person
from lti_tool.services.privacy.people import identifiers, without_names


def test_their_names_and_address_longest_first():
    person = Person(
        name="Zeph Quill", given_name="Zeph", family_name="Quill", email="zq@example.edu"
    )
    assert identifiers(person) == ["zq@example.edu", "Zeph Quill", "Quill", "Zeph"]
    assert identifiers(Person(name="Q", email=None)) == []  # a letter names nobody


def test_whole_words_only_without_regard_to_case():
    names = ["Zeph Quill", "Zeph", "Ben"]
    assert without_names("Week 2 for zeph quill", names, "X") == "Week 2 for X"
    assert without_names("Zeph's essay; Benchmarks", names, "X") == "X's essay; Benchmarks"
    assert without_names("Ask (Ben) or Ben.", names, "X") == "Ask (X) or X."
