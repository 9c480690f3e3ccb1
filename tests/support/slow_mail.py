"""A mail backend for fault tests: writes messages to files, after a pause long enough to kill the worker."""

import os
import time

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        time.sleep(float(os.environ.get("DEPLOYDESK_SLOW_MAIL_SECONDS", "0")))
        return super().send_messages(email_messages)
