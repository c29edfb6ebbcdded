"""One patient's model as SBML Level 3 Version 2, with the doses the patient received replayed as events.

What is written (ids are SBML SIds):

- every state as a non-constant ``parameter`` with a ``rateRule`` (amounts in the model's units; the
  model has no volumes or reactions, so species and compartments would add nothing): ``<lesion>_<state>``
  for lesion states, ``<state>`` for systemic ones; initial values are the engine's ``y0``;
- every parameter and covariate as a constant ``parameter`` with the patient's value, its units and
  ``<notes>`` (description, source, level); lesion-level ones once per lesion, ``<lesion>_<name>``;
- every intermediate quantity as an ``assignmentRule`` (lesion quantities once per lesion; a lesion sum
  is written as the explicit sum over the patient's lesions), among them each lesion's
  ``<lesion>_longest_diameter_cm`` (cm);
- unit definitions for every unit string (:mod:`._sbml_units`); time in days.

Lesion ids: every character other than a letter, digit or ``_`` becomes ``_``, and an id starting with
a digit gets ``L_`` in front (``VP0000000-L01`` -> ``VP0000000_L01``, ``3`` -> ``L_3``). If that prefix
(or any id built from it) is already taken, ``_2``, ``_3``, ... is appended, in lesion order, so the
mapping is deterministic and collision-free; each lesion's original id is in the ``name`` of its
elements and in the model's notes.

Doses: SBML cannot say *how* the Imlygic label policy decides (volumes and strength chosen at each visit
from the measured diameters, with memory across visits: response, progression and stopping rules). The
document therefore replays the dose records the patient actually received in ovsim's simulation
(``PatientResult.doses``), as events at their times (``time >= TIME``; trigger ``initialValue=false``,
persistent, values from trigger time, so day-0 doses fire at t = 0; libRoadRunner does). A record's
state is its treatment's target (by ``DRUG``; in lesion ``LESION_ID`` for a lesion state, ``CMT``
checked against it). A bolus (``RATE`` 0) adds ``fraction x AMT`` to that state, ``fraction`` being the
policy's parameter (``dose_retention`` for T-VEC, written as that parameter) or 1; a zero-order input
(``RATE`` > 0, over [TIME, TIME + AMT/RATE)) is an input-rate parameter ``<state>_input_rate`` added to
that state's rate rule and set by an event at every time the sum of the running inputs changes (the
+RATE / -RATE switches, summed exactly, so overlapping and back-to-back inputs add and a run of daily
doses is one switch on and one off). Changing a parameter in the document therefore does not change the
doses: it simulates the same dosing, not the same policy.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

from .. import __version__
from ._sbml_math import TIME, MathPrinter, apply, cn, math_element
from ._sbml_units import Units, UnitBook, infer_units, parse_units

SBML_L3V2 = "http://www.sbml.org/sbml/level3/version2/core"


def sbml_id(text: str) -> str:
    """``text`` as an SBML SId: other characters -> ``_``, ``L_`` before a leading digit."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", str(text))
    return s if s[:1].isalpha() or s[:1] == "_" else f"L_{s}"


def lesion_prefixes(lesion_ids: list[str], names: list[str], taken: set[str]) -> list[str]:
    """Id prefix of each lesion: :func:`sbml_id`, then ``_2``, ``_3``, ... until no id it makes is taken."""
    used, out = set(taken), []
    for lid in lesion_ids:
        base = sbml_id(lid)
        cand, k = base, 1
        while cand in used or any(f"{cand}_{n}" in used for n in names):
            k += 1
            cand = f"{base}_{k}"
        used |= {cand, *(f"{cand}_{n}" for n in names)}
        out.append(cand)
    return out


def _notes(*lines: str) -> str:
    body = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
    return f'<notes><body xmlns="http://www.w3.org/1999/xhtml">{body}</body></notes>'


def _parameter(pid: str, name: str, value: float | None, units: str, constant: bool, *notes: str) -> str:
    v = "" if value is None else f' value="{float(value)!r}"'
    return (f'<parameter id="{pid}" name={quoteattr(name)}{v} units="{units}" constant="{str(constant).lower()}">'
            f"{_notes(*notes)}</parameter>")


def patient_sbml(patient: Any, regimen: Any, doses: pd.DataFrame, horizon_days: float) -> str:
    """SBML L3V2 of ``patient``'s model on ``regimen`` (its composed model), replaying ``doses``.

    patient: a :class:`~ovsim.population.Patient`; regimen: a :class:`~ovsim.treatments.Regimen` or what
    ``simulate_patient`` accepts; doses: the dose records the patient received (``PatientResult.doses``:
    TIME in days, AMT in the target's units, RATE per day, DRUG, LESION_ID, CMT); horizon_days: the
    simulated horizon (days; every record must start before it). Returns the document as a string; check
    it with :func:`check_sbml`. ``ValueError`` if a record does not belong to this patient and regimen.
    """
    from ..engine import n_slots_for, population_inputs
    from ..engine._cohort import as_regimen
    from ..engine._simulate import patient_population

    regimen = as_regimen(regimen)
    d = regimen.model()
    lesions = list(patient.lesions)
    n, slots = len(lesions), n_slots_for(len(lesions))
    inputs = population_inputs(patient_population(patient), d, slots)
    lesion_level = sorted(d.lesion_level)
    systemic = [*d.patient_names(), *(s.name for s in d.systemic_states),
                *(q for q, v in d.quantities.items() if v.level != "lesion")]
    inputs_of = {s: f"{s}_input_rate" for s in d.states}
    prefixes = lesion_prefixes([les.lesion_id for les in lesions], lesion_level,
                               set(systemic) | set(inputs_of.values()))

    def sid(name: str, j: int | None) -> str:
        if name not in d.lesion_level:
            return name
        if j is None:
            raise ValueError(f"{name!r} is a lesion-level name used outside a lesion")
        return f"{prefixes[j]}_{name}"

    book = UnitBook()
    book.id_for_text("day")
    declared = {**{k: v.units for k, v in d.parameters.items()}, **{k: v.units for k, v in d.covariates.items()},
                **{k: v.units for k, v in d.states.items()}, **{k: u for k, (u, _) in d.observables.items()}}
    known: dict[str, Units | None] = {k: parse_units(u) for k, u in declared.items()}

    def units_of(name: str) -> Units | None:
        if name not in known:
            known[name] = infer_units(d.quantities[name].expr, units_of)
        return known[name]

    unit_id = lambda name: book.id_for_text(declared[name]) if name in declared else book.id_for(units_of(name))  # noqa: E731
    pr = MathPrinter(sid, lambda e: book.id_for(infer_units(e, units_of)), n)
    where = lambda j: "" if j is None else f" of lesion {lesions[j].lesion_id}"  # noqa: E731

    params, rules, assignments = [], [], []
    for name, p in d.parameters.items():
        for j in (range(n) if p.level == "lesion" else [None]):
            value = inputs.lesion[name][0, j] if j is not None else inputs.patient[name][0]
            params.append(_parameter(sid(name, j), name + where(j), value, unit_id(name), True, p.description,
                                     f"source: {p.source}", f"level: {p.level}; ovsim parameter {name}"))
    for name, c in d.covariates.items():
        for j in (range(n) if c.level == "lesion" else [None]):
            value = inputs.lesion[name][0, j] if j is not None else inputs.patient[name][0]
            params.append(_parameter(sid(name, j), name + where(j), value, unit_id(name), True, c.description,
                                     f"covariate ({c.level}); ovsim covariate {name}"))
    y0 = inputs.y0[0]
    events, input_rates = _dose_events(doses, d, regimen, lesions, sid, book, horizon_days)
    for name, s in d.states.items():
        for j in (range(n) if s.level == "lesion" else [None]):
            target = sid(name, j)
            value = y0[d.index(name, slots, j or 0)]
            params.append(_parameter(target, name + where(j), value, unit_id(name), False, s.description,
                                     f"state ({s.level}, {s.units}); ovsim state {name}"))
            rate_units = book.id_for_text(f"({s.units})/day")
            rate = pr(d.rates[name], j, rate_units)
            if target in input_rates:
                params.append(_parameter(input_rates[target], f"zero-order input into {target}", 0.0, rate_units, False,
                                         "sum of the running zero-order doses (set by the dose events)"))
                rate = apply("plus", rate, f"<ci>{input_rates[target]}</ci>")
            rules.append(f'<rateRule variable="{target}">{math_element(rate)}</rateRule>')
    for name, q in d.quantities.items():
        for j in (range(n) if q.level == "lesion" else [None]):
            params.append(_parameter(sid(name, j), name + where(j), None, unit_id(name), False,
                                     d.observables.get(name, ("", q.note))[1], f"quantity ({q.level}) of {q.part}"))
            assignments.append(f'<assignmentRule variable="{sid(name, j)}">'
                               f"{math_element(pr(q.expr, j))}</assignmentRule>")

    used = {*systemic, *input_rates.values(), *(sid(x, j) for x in lesion_level for j in range(n))}
    fresh = _fresh(used)
    event_xml = []
    for k, (t, changes) in enumerate(sorted(events.items())):
        trigger = math_element(apply("geq", TIME, cn(t, "day")))
        body = "".join(f'<eventAssignment variable="{v}">{math_element(m)}</eventAssignment>' for v, m in changes)
        event_xml.append(f'<event id="{fresh(f"dose_{k + 1}")}" name="doses on day {t:g}" useValuesFromTriggerTime='
                         f'"true"><trigger initialValue="false" persistent="true">{trigger}</trigger>'
                         f"<listOfEventAssignments>{body}</listOfEventAssignments></event>")
    model_notes = _notes(
        f"ovsim {__version__}: patient {patient.patient_id}, {n} lesion(s), regimen "
        f"{regimen.to_dict() or 'none'}, model parts {', '.join(p.name for p in d.parts)}.",
        *(f"lesion {les.lesion_id!r} ({les.site.value}) -> id prefix {prefixes[j]!r}" for j, les in enumerate(lesions)),
        f"Doses are replayed as events from the {len(doses)} dose record(s) this patient received in ovsim's "
        f"simulation over {horizon_days:g} days. The state-dependent label policy that chose them (volumes by "
        "lesion size at each visit, with response, progression and stopping rules) cannot be expressed in SBML: "
        "changing parameters here changes the response, not the doses.",
        "States are parameters with rate rules (amounts; no compartments or reactions). Time in days.")
    model_id = fresh(f"ovsim_{sbml_id(patient.patient_id)}")
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<sbml xmlns="{SBML_L3V2}" level="3" version="2">',
        f"<model id={quoteattr(model_id)} name={quoteattr(f'ovsim patient {patient.patient_id}')} timeUnits=\"day\">",
        model_notes, book.xml(),
        "<listOfParameters>", *params, "</listOfParameters>",
        "<listOfRules>", *assignments, *rules, "</listOfRules>",
        *(["<listOfEvents>", *event_xml, "</listOfEvents>"] if event_xml else []),
        "</model>", "</sbml>", ""])


def _fresh(used: set[str]):
    def fresh(base: str) -> str:
        cand, k = base, 1
        while cand in used:
            k += 1
            cand = f"{base}_{k}"
        used.add(cand)
        return cand
    return fresh


def _dose_events(doses: pd.DataFrame, d: Any, regimen: Any, lesions: list, sid: Any, book: UnitBook,
                 horizon_days: float) -> tuple[dict[float, list[tuple[str, str]]], dict[str, str]]:
    """({time: [(variable, MathML of its new value)]}, {target id: input-rate id}) from the dose records.

    A record's state is its treatment's target (by ``DRUG``), in lesion ``LESION_ID`` for a lesion state;
    ``CMT`` is checked against it within the lesion block (so records of a cohort, whose state vectors
    are padded to the chunk's lesion slots, replay as well as a single patient's).
    """
    policy = regimen.policy()
    fraction = {policy[0].drug: policy[1].fraction} if policy is not None and policy[1].fraction else {}
    target_of = {t.drug: dosing.target for t, dosing in regimen.dosings()}
    lesion_index = {les.lesion_id: j for j, les in enumerate(lesions)}
    position = {s.name: k for k, s in enumerate(d.lesion_states)}
    bolus: dict[tuple[float, str, str | None, str], float] = defaultdict(float)
    infusions: dict[tuple[str, str], list[tuple[float, float, float]]] = defaultdict(list)
    for row in doses.itertuples(index=False):
        t = round(float(row.TIME), 9)
        if not 0 <= t < horizon_days:
            raise ValueError(f"dose record at day {t:g}: outside the horizon 0-{horizon_days:g} days")
        if row.DRUG not in target_of:
            raise ValueError(f"dose record of {row.DRUG!r}: not a treatment of the regimen ({', '.join(target_of)})")
        state = d.states[target_of[row.DRUG]]
        if state.level == "lesion":
            j = lesion_index.get(row.LESION_ID)
            if j is None or (int(row.CMT) - 1) % d.n_lesion_states != position[state.name]:
                raise ValueError(f"dose record of {row.DRUG} on day {t:g}: lesion {row.LESION_ID!r} (CMT {row.CMT}) "
                                 f"is not a {state.name} of this patient")
            target = sid(state.name, j)
        else:
            target = state.name
        if float(row.RATE) > 0:
            end = round(t + float(row.AMT) / float(row.RATE), 9)
            infusions[(target, state.units)].append((t, end, float(row.RATE)))
        else:
            bolus[(t, target, fraction.get(row.DRUG), state.units)] += float(row.AMT)
    events: dict[float, list[tuple[str, str]]] = defaultdict(list)
    for (t, target, frac, units), amt in bolus.items():
        amount = cn(amt, book.id_for_text(units))
        add = apply("times", f"<ci>{frac}</ci>", amount) if frac else amount
        events[t].append((target, apply("plus", f"<ci>{target}</ci>", add)))
    input_rates = {}
    for (target, units), runs in infusions.items():
        input_rates[target] = f"{target}_input_rate"
        level = 0.0
        for b in sorted({x for s, e, _ in runs for x in (s, e)}):
            now = sum(r for s, e, r in runs if s <= b < e)
            if now != level:
                events[b].append((input_rates[target], cn(now, book.id_for_text(f"({units})/day"))))
                level = now
    return dict(events), input_rates


def check_sbml(text: str) -> list[str]:
    """libsbml's consistency checks (units included): ``ValueError`` on an error, else the warnings (one line each).

    Needs python-libsbml (a test dependency of ovsim; ``ModuleNotFoundError`` without it).
    """
    import libsbml

    doc = libsbml.readSBMLFromString(text)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    problems = [doc.getError(i) for i in range(doc.getNumErrors())]
    errors = [p for p in problems if p.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    line = lambda p: f"{p.getCategoryAsString()} {p.getErrorId()} (line {p.getLine()}): " + \
        " ".join(p.getMessage().split())  # noqa: E731
    if errors:
        raise ValueError(f"invalid SBML: {len(errors)} error(s); first: {line(errors[0])}")
    return [line(p) for p in problems]


def export_patient_sbml(patient_file: Path) -> str:
    """SBML of the patient in a patient YAML file, with the doses ovsim gives it (JAX must be configured)."""
    from ..engine import simulate_patient
    from ._patient_file import load_patient

    scenario = load_patient(patient_file)
    result = simulate_patient(scenario.patient, scenario.regimen, horizon_days=scenario.horizon_days,
                              output_every_days=scenario.output_every_days)
    return patient_sbml(scenario.patient, scenario.regimen, result.doses, scenario.horizon_days)
