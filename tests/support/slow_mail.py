"""A mail backend for fault tests: writes messages to files, after a pause long enough to kill the worker."""

import os
import time

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        time.sleep(float(os.environ.get("DEPLOYDESK_SLOW_MAIL_SECONDS", "0")))
        return super().send_messages(email_messages)


class UniqueFileBackend(EmailBackend):
    """Each message in a file of its own, named by process, time and a counter: worker processes forked alike can
    share Django's file names (time to the second and the backend's id()) and overwrite each other's messages."""

    def _get_filename(self):
        if self._fname is None:
            self._fname = os.path.join(self.file_path, f"{os.getpid()}-{time.time_ns()}-{id(self)}.log")
        return self._fname
