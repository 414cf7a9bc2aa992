"""Read views of each tenant, projected from the event log.

``projector`` consumes the log into the views (rows and tracking in one
transaction); ``queries`` answers the directorate's questions with the
position each answer reflects; ``waiting`` gives read-your-writes;
``rebuild`` replays a tenant from offset 0 into fresh tables and swaps them in.
"""
