"""`Labels`: one type for the code → label mappings (queries.labels, Choices.labels)."""

from __future__ import annotations

import pickle

from observatoire import config, queries
from observatoire.labels import Labels


def test_labels_of_accepts_singular_and_plural_names_and_falls_back_to_the_code():
    labels = Labels(bassins={"57-metz": "Metz"}, academie={"nm": "Nancy-Metz"})
    assert labels.of("bassin", "57-metz") == labels.of("bassins", "57-metz") == labels.bassins["57-metz"] == "Metz"
    assert labels.of("bassin", "inconnu") == "inconnu"
    assert labels.of("total", "nm") == labels.of("academie", "nm") == "Nancy-Metz"
    assert labels.mapping("dimension inconnue") == {} and labels.of("dimension inconnue", "x") == "x"


def test_labels_pickle_and_hash_by_content():  # st.cache_data pickles return values, hashes arguments
    labels = Labels(thematiques={"ent": "ENT"}, niveaux={"ecole": "École"})
    copy = pickle.loads(pickle.dumps(labels))
    assert copy == labels and hash(copy) == hash(labels)
    assert {labels: 1}[Labels(thematiques={"ent": "ENT"}, niveaux={"ecole": "École"})] == 1


def test_queries_labels_and_choices_labels_are_the_same_value(con):
    labels = queries.labels(con)
    assert isinstance(labels, Labels)
    assert queries.choices(con).labels == labels
    assert labels.academie == {config.academie().code: config.academie().nom}
    for dimension in ("departement", "bassin", "laboratoire", "niveau", "thematique", "public", "indicateur"):
        assert labels.mapping(dimension) == queries.dimension_labels(con, dimension), dimension
