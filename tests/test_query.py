"""The query language: parsing, syntax errors that point at the mistake, and evaluation
over hand-annotated articles in seven languages (tests/fulltext_corpus.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from blocwatch import fulltext
from blocwatch.query import (
    And,
    Entity,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Title,
    Word,
    compile_query,
    entity_ids,
    matches,
    parse,
)
from blocwatch.taxonomy import Taxonomy, load_taxonomy
from tests import fulltext_corpus as corpus


@pytest.fixture(scope="module")
def taxonomy(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    return load_taxonomy(corpus.write_taxonomy(tmp_path_factory.mktemp("taxonomy")))


@pytest.fixture(scope="module")
def docs() -> dict[str, fulltext.Doc]:
    return {i: fulltext.analyse(title, text, lang) for i, lang, title, text in corpus.ARTICLES}


def test_parse_builds_the_tree() -> None:
    assert parse('Japan AND "Asian NATO"') == And((Word("Japan"), Phrase("Asian NATO")))
    assert parse("Japan NATO") == And((Word("Japan"), Word("NATO")))
    assert parse("a OR b AND c") == Or((Word("a"), And((Word("b"), Word("c")))))
    assert parse("a OR b c OR d") == Or((Word("a"), And((Word("b"), Word("c"))), Word("d")))
    assert parse("Japan NOT Russia") == And((Word("Japan"), Not(Word("Russia"))))
    assert parse("NOT NOT a") == Not(Not(Word("a")))
    assert parse("(a OR b) AND c") == And((Or((Word("a"), Word("b"))), Word("c")))
    assert parse("milit*") == Word("milit", prefix=True)
    assert parse('title:(a OR "b c") entity:japan') == And((
        Title(Or((Word("a"), Phrase("b c")))), Entity("japan")))
    assert parse("title:entity:nato") == Title(Entity("nato"))
    # lowercase operators are words
    assert parse("war and peace") == And((Word("war"), Word("and"), Word("peace")))
    assert parse("  北约 ") == Word("北约")


def test_a_query_prints_as_it_parses() -> None:
    for text in ['Japan AND "Asian NATO"', "a OR (b AND c)", "title:(a OR b) AND milit*",
                 "NOT (a OR b)", "entity:japan AND NOT title:x"]:
        assert str(parse(text)) == text
        assert parse(str(parse(text))) == parse(text)


def test_entity_ids_lists_the_entities_named() -> None:
    assert entity_ids(parse("entity:japan OR (x AND NOT title:entity:nato)")) == [
        "japan", "nato"]


@pytest.mark.parametrize(("text", "message", "position"), [
    ("Japan AND (NATO OR Korea))", "unexpected ')'", 25),
    ("(Japan OR NATO", "missing ')' for this '('", 0),
    ("Japan AND", "the query ends after AND: a word, phrase or '(' is missing", 9),
    ("AND Japan", "unexpected 'AND'", 0),
    ("Japan OR OR NATO", "unexpected 'OR'", 9),
    ('Japan "Asian NATO', "unclosed '\"': the phrase has no closing quote", 6),
    ('Japan ""', "empty phrase", 6),
    ("Japan ()", "empty parentheses", 6),
    ("", "empty query", 0),
    ("   ", "empty query", 0),
    ("mil*tary", "'*' is only allowed at the end of a word", 3),
    ("a*", "a prefix needs at least 2 characters before '*'", 0),
    ("*", "a prefix needs at least 2 characters before '*'", 0),
    ("author:Smith", "unknown field 'author:' (fields: title:, entity:)", 0),
    ("title: NATO", "title: needs a word, phrase or group right after it", 6),
    ("entity:Japan", "entity: needs an entity id right after it (lowercase letters, "
                     "digits, _)", 7),
    ("Japan NOT", "the query ends after NOT: a word, phrase or '(' is missing", 9),
])
def test_syntax_errors_name_the_problem_and_the_place(text: str, message: str,
                                                      position: int) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse(text)
    assert err.value.message == message
    assert err.value.position == position
    assert str(err.value) == f"{message} at {position}"


def test_caret_points_under_the_error() -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse("Japan AND (NATO))")
    assert err.value.caret() == ("unexpected ')' at 16\n"
                                 "Japan AND (NATO))\n"
                                 "                ^")
    # wide characters take two columns on a terminal
    with pytest.raises(QuerySyntaxError) as err:
        parse("北约 AND )")
    assert err.value.caret().splitlines()[2] == " " * 9 + "^"  # 北约 is four columns


def test_unknown_entities_and_empty_words_are_errors(taxonomy: Taxonomy) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        compile_query(parse("x OR entity:japn"), taxonomy=taxonomy, text="x OR entity:japn")
    assert str(err.value) == "unknown entity 'japn' (did you mean entity:japan?) at 5"
    with pytest.raises(QuerySyntaxError) as err:
        compile_query(parse("Japan 2024"), text="Japan 2024")
    assert str(err.value) == ("nothing to search for in '2024': numbers and punctuation "
                              "are not indexed at 6")


def test_document_terms() -> None:
    doc = fulltext.analyse("Japan and NATO", "Japan's ministers met l'OTAN; Japan-NATO.", "en")
    assert doc.text == ("japan", "and", "nato", fulltext.BREAK, "japan", "minister", "meet",
                        "otan", "japan", "nato")
    assert doc.title == ("japan", "and", "nato")
    assert doc.caps == {"NATO", "OTAN", "^NATO"}
    assert fulltext.terms("北约成员国 NATO", "zh") == ["北约", "约成", "成员", "员国", "nato"]
    assert fulltext.terms("Премьер-министр Японии", "ru") == ["премьер", "министр", "япония"]
    assert fulltext.acronyms("日本とＮＡＴＯが, НАТО, US, us, G7, Japan") == {"NATO", "НАТО", "US",
                                                                    "G7"}


@pytest.mark.parametrize("text", sorted(corpus.EXPECTED))
def test_matches_the_hand_annotated_articles(text: str, docs: dict[str, fulltext.Doc],
                                             taxonomy: Taxonomy) -> None:
    plan = compile_query(parse(text), languages=corpus.LANGUAGES, taxonomy=taxonomy,
                         text=text)
    found = {i for i, doc in docs.items() if matches(plan, doc)}
    assert found == corpus.EXPECTED[text]


def test_matches_compiles_a_parsed_query(docs: dict[str, fulltext.Doc]) -> None:
    assert matches(parse('"Asian NATO"'), docs["a1"])
    assert not matches(parse('"NATO Asian"'), docs["a1"])
    assert matches(parse("Японии"), docs["a8"], languages=["ru"])


def test_the_real_taxonomy_resolves_every_entity() -> None:
    taxonomy = load_taxonomy(Path(__file__).parents[1] / "taxonomy.yaml")
    for entity in taxonomy.entities:
        compile_query(parse(f"entity:{entity.id}"), taxonomy=taxonomy,
                      languages=["en", "ru", "fr", "de"])
