"""The headline rates of the reports, by the names the change tables give them."""

GOOD_OR_BETTER = "Audits graded good or better"
COMPLETED = "Sampled audits completed"
MODERATED_IN_TIME = "Inadequate audits moderated in time"
VIEWS_GATHERED = "Audits that gathered the child's and family's views"
ANSWERED_IN_TIME = "Complaints answered in time"
TOLD = "Children told they may have an advocate"
