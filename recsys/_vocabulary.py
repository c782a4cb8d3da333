"""Vocabulary of the synthetic job board: occupation clusters, states and cities, name parts."""

from __future__ import annotations

__all__ = [
    "BRANCHES",
    "CLUSTERS",
    "COMPANY_STEMS",
    "COMPANY_SUFFIXES",
    "PREFERENCES",
    "STATES",
    "TITLE_PREFIXES",
]

# Occupation clusters, one a line per table: the industry, the occupations users write in their profile,
# the job title stems and the skills.
_INDUSTRIES = """
nursing: Healthcare
software: Technology
trucking: Transportation
retail: Retail
accounting: Finance
teaching: Education
warehouse: Logistics
security: Security
maintenance: Facilities
admin: Administration
sales: Sales
cybersecurity: Defense
"""
_OCCUPATIONS = """
nursing: Registered Nurse; Nurse; LPN
software: Software Engineer; Developer; Programmer
trucking: Truck Driver; CDL Driver; Driver
retail: Retail Associate; Store Manager; Cashier
accounting: Accountant; Bookkeeper; Financial Analyst
teaching: Teacher; Instructor; Tutor
warehouse: Warehouse Worker; Forklift Operator; Material Handler
security: Security Officer; Security Guard; Police Officer
maintenance: Maintenance Technician; Electrician; HVAC Technician
admin: Administrative Assistant; Office Manager; Receptionist
sales: Sales Representative; Account Executive; Sales
cybersecurity: Cybersecurity Analyst; Network Engineer; IT Specialist
"""
_TITLES = """
nursing: Registered Nurse; ICU Nurse; Licensed Practical Nurse; Travel Nurse; Nurse Practitioner
software: Software Engineer; Backend Developer; Full Stack Developer; DevOps Engineer; QA Engineer
trucking: CDL-A Truck Driver; Regional Truck Driver; Delivery Driver; Local Driver; Fleet Dispatcher
retail: Retail Sales Associate; Store Manager; Cashier; Assistant Store Manager; Merchandiser
accounting: Staff Accountant; Bookkeeper; Financial Analyst; Payroll Specialist; Auditor
teaching: Elementary Teacher; High School Teacher; Special Education Teacher; Tutor; Instructor
warehouse: Warehouse Associate; Forklift Operator; Material Handler; Picker Packer; Shipping Clerk
security: Security Officer; Armed Guard; Loss Prevention Officer; Security Supervisor; Patrol Officer
maintenance: Maintenance Technician; Electrician; HVAC Technician; Facilities Technician; Plumber
admin: Administrative Assistant; Office Manager; Receptionist; Executive Assistant; Data Entry Clerk
sales: Sales Representative; Account Executive; Inside Sales Rep; Sales Manager; Business Developer
cybersecurity: Cybersecurity Analyst; Network Engineer; IT Specialist; SOC Analyst; Systems Administrator
"""
_SKILLS = """
nursing: patient care; BLS; ACLS; triage; EMR charting
software: python; java; sql; cloud; git
trucking: CDL-A; hazmat; logistics; forklift; route planning
retail: customer service; POS; inventory; merchandising; cash handling
accounting: excel; GAAP; QuickBooks; reconciliation; payroll
teaching: lesson planning; classroom management; curriculum; tutoring; assessment
warehouse: forklift; inventory; shipping; receiving; OSHA
security: surveillance; patrol; access control; first aid; incident reports
maintenance: electrical; HVAC; plumbing; preventive maintenance; troubleshooting
admin: scheduling; microsoft office; data entry; filing; customer service
sales: CRM; negotiation; cold calling; account management; B2B
cybersecurity: security clearance; SIEM; networking; linux; incident response
"""


def _table(text: str) -> dict[str, tuple[str, ...]]:
    rows = (line.split(":", 1) for line in text.strip().splitlines())
    return {name.strip(): tuple(v.strip() for v in values.split(";")) for name, values in rows}


CLUSTERS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    name: (industry[0], _table(_OCCUPATIONS)[name], _table(_TITLES)[name], _table(_SKILLS)[name])
    for name, industry in _table(_INDUSTRIES).items()
}
STATES: dict[str, tuple[str, ...]] = {
    "TX": ("Houston", "San Antonio", "Dallas"),
    "CA": ("San Diego", "Los Angeles", "Sacramento"),
    "FL": ("Jacksonville", "Tampa", "Orlando"),
    "VA": ("Norfolk", "Virginia Beach", "Richmond"),
    "NC": ("Fayetteville", "Charlotte", "Raleigh"),
    "GA": ("Atlanta", "Savannah", "Columbus"),
    "WA": ("Tacoma", "Seattle", "Spokane"),
    "CO": ("Colorado Springs", "Denver", "Aurora"),
    "OH": ("Columbus", "Cleveland", "Dayton"),
    "AZ": ("Phoenix", "Tucson", "Mesa"),
}
TITLE_PREFIXES = ("", "", "", "Senior ", "Lead ", "Entry Level ", "Night Shift ", "Part-Time ")
COMPANY_SUFFIXES = ("Group", "Partners", "Inc", "Services", "Solutions")
COMPANY_STEMS = ("Summit", "Liberty", "Eagle", "Pioneer", "Frontier", "Anchor", "Keystone", "Patriot")
BRANCHES = ("Army", "Navy", "Air Force", "Marine Corps", "Coast Guard")
PREFERENCES = ("remote", "full-time", "part-time", "relocation", "night shift", "contract")
