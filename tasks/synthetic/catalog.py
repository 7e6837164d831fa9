"""The fixed cast of the synthetic world: payers, plans, locations and the word banks.

Payer and plan names are fictional; their policies (which need authorization, which carve
behavioural health out) are illustrative and mirror the shipped rule files.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.codes import Credential, LocationKind, PayerKind


@dataclass(frozen=True)
class PlanSpec:
    plan_id: str
    payer_id: str
    name: str
    state: str | None
    weight: int
    requires_auth: bool
    carveout_share: float  # share of members whose behavioural-health benefit is carved out
    requires_referral: bool = False


PAYERS = [
    ("medicare", "Medicare Part B (national)", PayerKind.MEDICARE),
    ("bluebonnet_ma", "Bluebonnet Medicare Advantage (illustrative)", PayerKind.MEDICARE_ADVANTAGE),
    (
        "pecan_tx_medicaid",
        "Pecan Health Texas Medicaid MCO (illustrative)",
        PayerKind.MEDICAID_MANAGED_CARE,
    ),
    (
        "dogwood_va_medicaid",
        "Dogwood Virginia Medicaid MCO (illustrative)",
        PayerKind.MEDICAID_MANAGED_CARE,
    ),
    ("keystone_commercial", "Keystone Commercial PPO (illustrative)", PayerKind.COMMERCIAL),
    ("summit_commercial", "Summit Commercial HMO (illustrative)", PayerKind.COMMERCIAL),
    (
        "harbor_bh",
        "Harbor Behavioral Health (carve-out administrator, illustrative)",
        PayerKind.BH_CARVEOUT,
    ),
]

PLANS = [
    PlanSpec("medicare_part_b", "medicare", "Medicare Part B", None, 22, False, 0.0),
    PlanSpec("bluebonnet_ma_hmo", "bluebonnet_ma", "Bluebonnet MA HMO", "TX", 10, True, 0.0),
    PlanSpec("pecan_star", "pecan_tx_medicaid", "Pecan STAR", "TX", 16, True, 0.0),
    PlanSpec("dogwood_ccc", "dogwood_va_medicaid", "Dogwood Cardinal Care", "VA", 14, False, 0.0),
    PlanSpec("keystone_ppo", "keystone_commercial", "Keystone PPO", None, 20, False, 0.0),
    PlanSpec(
        "summit_hmo",
        "summit_commercial",
        "Summit HMO",
        None,
        18,
        True,
        0.35,
        requires_referral=True,
    ),
]
CARVEOUT_PAYER = "harbor_bh"
CARVEOUT_REQUIRES_AUTH = True

# (location_id, name, state, kind, place of service for in-person visits)
LOCATIONS = [
    ("austin_clinic", "Austin Counseling Center", "TX", LocationKind.CLINIC, "11"),
    ("elpaso_fqhc", "El Paso Community Health (FQHC)", "TX", LocationKind.FQHC, "50"),
    ("richmond_clinic", "Richmond Behavioral Associates", "VA", LocationKind.CLINIC, "11"),
    ("norfolk_cmhc", "Norfolk Community Mental Health Center", "VA", LocationKind.CMHC, "53"),
    ("raleigh_clinic", "Raleigh Group Therapy Practice", "NC", LocationKind.CLINIC, "11"),
]

# Taxonomy codes by credential (NUCC); one representative each.
TAXONOMY = {
    Credential.MD: "2084P0800X",
    Credential.DO: "2084P0800X",
    Credential.PHD: "103TC0700X",
    Credential.PSYD: "103TC0700X",
    Credential.LCSW: "1041C0700X",
    Credential.LPC: "101YP2500X",
    Credential.LMHC: "101YM0800X",
    Credential.LMFT: "106H00000X",
    Credential.NP: "363LP0808X",
    Credential.PA: "363A00000X",
}

# Names are drawn from lists that share no word with the note vocabulary below, so a
# participant's name in a note can only come from a planted privacy defect.
FIRST_NAMES = [
    "Marisol",
    "Okonkwo",
    "Thaddeus",
    "Annika",
    "Ravindra",
    "Giselle",
    "Lorcan",
    "Yevgenia",
    "Tobias",
    "Imani",
    "Quentin",
    "Saoirse",
    "Matteo",
    "Zuleika",
    "Desmond",
    "Henrike",
    "Anselm",
    "Priyanka",
    "Caspian",
    "Ottilie",
    "Bartholomew",
    "Ximena",
    "Leopold",
    "Noor",
    "Fitzgerald",
    "Rosalind",
    "Dashiell",
    "Inés",
    "Cornelius",
    "Wilhelmina",
    "Evander",
    "Margarethe",
    "Ignatius",
    "Delphine",
    "Percival",
    "Anneliese",
    "Barnaby",
    "Esperanza",
    "Lysander",
    "Philippa",
]
LAST_NAMES = [
    "Okafor",
    "Lindqvist",
    "Brannigan",
    "Castellanos",
    "Haverford",
    "Nakamura-Reyes",
    "Ostrowski",
    "Pemberton",
    "Quintero",
    "Abernathy",
    "Vukovic",
    "Delacroix",
    "Fairweather",
    "Gunnarsson",
    "Hollingsworth",
    "Iwasaki",
    "Jablonski",
    "Kowalczyk",
    "Llewellyn",
    "Montgomery",
    "Nwachukwu",
    "Oyelaran",
    "Przybylski",
    "Rasmussen",
    "Szymanski",
    "Thistlewood",
    "Umberger",
    "Valdivieso",
    "Whitlock",
    "Yarborough",
    "Zielinski",
    "Achterberg",
    "Bergström",
    "Carrington",
    "Dunleavy",
]

FOCUS_TOPICS = (
    "coping with depressive symptoms",
    "relapse prevention",
    "anxiety management",
    "grief and loss",
    "mood regulation",
    "trauma-informed skills",
    "anger management",
    "interpersonal effectiveness",
)
INTERVENTIONS = (
    "cognitive behavioral therapy",
    "dialectical behavior therapy skills",
    "motivational interviewing",
    "interpersonal process",
    "acceptance and commitment therapy",
    "supportive psychotherapy",
)
GOALS = (
    "reduce depressive episodes to fewer than two per month",
    "use two coping strategies when cravings arise",
    "lower panic frequency to once a week or less",
    "return to work part time within three months",
    "improve sleep to six hours most nights",
    "decrease conflict at home as measured by weekly log",
    "attend all scheduled sessions and practise skills daily",
    "identify three early warning signs of relapse",
)
# Building blocks of individual participation and response; combined per patient so two
# patients' notes differ as real notes do.
PARTICIPATION = (
    "shared a recent setback at work and asked peers for feedback",
    "spoke briefly at first, then described avoidance of social events",
    "role-played a difficult conversation with a family member",
    "reported using a breathing exercise twice this week",
    "challenged an all-or-nothing thought when prompted by the therapist",
    "offered support to another member and linked it to own goals",
    "described cravings on the weekend and the plan used to manage them",
    "completed the thought record homework and read one entry aloud",
    "was tearful when discussing the anniversary of a loss",
    "identified a trigger tied to sleep loss and irregular meals",
    "practised assertive requests during the skills rehearsal",
    "listened actively and asked clarifying questions about exposure steps",
)
RESPONSE = (
    "rated distress lower at the end of group than at the start",
    "agreed to practise the skill daily and log outcomes",
    "showed improved insight into the link between thoughts and mood",
    "remained guarded but engaged more in the second half",
    "demonstrated the skill correctly after coaching",
    "reported feeling less isolated after hearing similar experiences",
    "set a concrete goal for the coming week",
    "needed redirection twice but completed the exercise",
    "expressed hope about returning to regular activities",
    "linked today's discussion to the treatment plan goal without prompting",
)
PROGRESS = (
    "Progress toward goal is gradual",
    "Progress toward goal is steady",
    "Limited progress this week",
    "Notable progress since last session",
    "Progress maintained",
)
COMPLEXITY = {
    "maladaptive_communication": "High reactivity and repeated interruptions between members required "
    "the therapist to manage communication so the treatment could proceed.",
    "caregiver_interference": "A caregiver's emotions during check-in interfered with carrying out the "
    "treatment plan and were addressed directly.",
    "sentinel_event": "Member disclosed an event requiring a mandated report; report made to the state "
    "agency and discussed with the member.",
    "language_barrier_device": "A qualified interpreter was used because the member lacks the expressive "
    "language needed to take part otherwise.",
}
PRIMARY_DIAGNOSES = (
    "F33.1",
    "F32.1",
    "F41.1",
    "F43.10",
    "F43.12",
    "F10.20",
    "F31.81",
    "F40.10",
    "F42.2",
    "F43.23",
    "F32.A",
    "F41.0",
    "F11.20",
    "F60.3",
    "F33.0",
)
SECONDARY_Z = ("Z63.0", "Z56.0", "Z59.00", "Z60.2")
CHARGES = {
    "90853": "95.00",
    "90785": "25.00",
    "90832": "110.00",
    "90849": "105.00",
    "H0004": "40.00",
}
