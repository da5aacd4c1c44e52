"""How long a free-text field users submit may be (characters); forms and serializers both hold them.

Without a limit a single request could store a megabyte in a problem or a comment (and send it on in
every notification and export). The limits are generous for what a person writes.
"""

DESCRIPTION_MAX = 5000  # a problem's description, a department's answer, a policy guide's paragraphs
NOTE_MAX = 1000  # a rating comment, a call-back record, a note or a reason
POLICY_SUMMARY_MAX = 1000
POLICY_BODY_MAX = 200_000  # a policy's full text (staff), Markdown
