! The inference scaling application in Fortran (the twin of inference.c): one client per MPI rank; the model
! and script stored by one rank (rank0 or local0) and polled for by the others; a warm-up iteration, then per
! iteration put_tensor of the (224, 224, 3) image (stored as [224,224,3], the C app's HWC layout),
! run_script (pre_process_3ch), run_model and unpack_tensor of the (1, 1000) output, keys deleted once read
! and tagged for one shard in a cluster. The last output is checked against the in-process reference
! (inference_ref.c, through bind(c)). Rows "rank,function,seconds" in OUTDIR/rank_<r>_timing.csv.
! With NUM_DEVICES > 1 the multi-GPU calls store a copy per GPU and run on GPU mod(local rank, NUM_DEVICES).
!   locus_bench_inference_f ITERATIONS OUTDIR MODEL_FILE SCRIPT_FILE DEVICE BATCH_SIZE rank0|local0 TOLERANCE
!                           [NUM_DEVICES]
program inference_f
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit
  use mpi
  use locus
  implicit none
  interface
     subroutine bench_make_image(image, fortran_order) bind(c, name="bench_make_image")
       import :: c_float, c_int
       real(c_float) :: image(*)
       integer(c_int), value :: fortran_order
     end subroutine
     function bench_reference(backend, model, script, out, err, errlen) bind(c, name="bench_reference") result(r)
       import :: c_char, c_float, c_int, c_size_t
       character(kind=c_char), intent(in) :: backend(*), model(*), script(*)
       real(c_float) :: out(*)
       character(kind=c_char) :: err(*)
       integer(c_size_t), value :: errlen
       integer(c_int) :: r
     end function
     function c_usleep(us) bind(c, name="usleep") result(r)
       import :: c_int
       integer(c_int), value :: us
       integer(c_int) :: r
     end function
     function bench_max_diff(a, b, n) bind(c, name="bench_max_diff") result(d)
       import :: c_float, c_int, c_double
       real(c_float), intent(in) :: a(*), b(*)
       integer(c_int), value :: n
       real(c_double) :: d
     end function
  end interface
  character(len=*), parameter :: model_key = 'resnet_model', script_key = 'resnet_script'
  type(locus_client) :: c
  integer :: rank, local, node, ierr, iterations, batch, it, k, u, tries, ok, ndev
  character(len=4096) :: arg, outdir, model_file, script_file, device, store, path, backend
  character(len=:), allocatable :: tag
  character(len=128) :: in_key(1), pre_key(1), out_key(1)
  character(kind=c_char) :: err(512)
  real(c_float), allocatable :: image(:, :, :)
  real(c_float) :: out(1, 1000), ref(1000)
  double precision, allocatable :: t(:, :)
  double precision :: t_main, t0, t_client, t_loop, a, b, d, e, f, tolerance
  logical :: exists, stores
  character(len=16), parameter :: names(4) = [character(len=16) :: 'put_tensor', 'run_script', 'run_model', &
       'unpack_tensor']

  call MPI_Init(ierr)
  t_main = MPI_Wtime()
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  if (command_argument_count() /= 8 .and. command_argument_count() /= 9) then
     if (rank == 0) write (error_unit, '(a)') 'usage: locus_bench_inference_f ITERATIONS OUTDIR MODEL_FILE '// &
          'SCRIPT_FILE DEVICE BATCH_SIZE rank0|local0 TOLERANCE'
     call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  end if
  call get_command_argument(1, arg)
  read (arg, *) iterations
  call get_command_argument(2, outdir)
  call get_command_argument(3, model_file)
  call get_command_argument(4, script_file)
  call get_command_argument(5, device)
  call get_command_argument(6, arg)
  read (arg, *) batch
  call get_command_argument(7, store)
  call get_command_argument(8, arg)
  read (arg, *) tolerance
  ndev = 1
  if (command_argument_count() == 9) then
     call get_command_argument(9, arg)
     read (arg, *) ndev
  end if
  call MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, node, ierr)
  call MPI_Comm_rank(node, local, ierr)
  if (trim(store) == 'local0') then
     stores = local == 0
  else
     stores = rank == 0
  end if

  t0 = MPI_Wtime()
  call check(c%initialize(), 'client()')
  t_client = MPI_Wtime() - t0
  if (stores .and. ndev > 1) then
     call check(c%set_model_from_file_multigpu(model_key, trim(model_file), 'TORCH', 0, ndev, &
          batch_size=merge(batch, 0, batch > 1)), 'set_model_from_file_multigpu')
     call check(c%set_script_from_file_multigpu(script_key, trim(script_file), 0, ndev), &
          'set_script_from_file_multigpu')
  else if (stores) then
     call check(c%set_model_from_file(model_key, trim(model_file), 'TORCH', trim(device), &
          batch_size=merge(batch, 0, batch > 1)), 'set_model_from_file')
     call check(c%set_script_from_file(script_key, trim(device), trim(script_file)), 'set_script_from_file')
  end if
  exists = .false.
  do tries = 1, 600
     call check(c%model_exists(model_key, exists), 'model_exists')
     if (exists) exit
     call sleep_ms(100)
  end do
  if (.not. exists) call give_up('the model '//model_key//' never appeared in the database (60 s)')
  exists = .false.
  do tries = 1, 600
     call check(c%script_exists(script_key, exists), 'script_exists')
     if (exists) exit
     call sleep_ms(100)
  end do
  if (.not. exists) call give_up('the script '//script_key//' never appeared in the database (60 s)')

  write (arg, '(a,i0)') 'rank_', rank
  call check(c%colocation_tag(tag, trim(arg)), 'colocation_tag')
  allocate (image(224, 224, 3), t(4, max(iterations, 1)))
  call bench_make_image(image, 1_c_int)
  call MPI_Barrier(MPI_COMM_WORLD, ierr)

  t_loop = 0
  do it = 0, iterations ! it = 0: the warm-up, not recorded
     if (it == 1) t_loop = MPI_Wtime()
     write (in_key(1), '(a,a,i0,a,i0)') tag, 'image_', rank, '_', it
     write (pre_key(1), '(a,a,i0,a,i0)') tag, 'pre_', rank, '_', it
     write (out_key(1), '(a,a,i0,a,i0)') tag, 'out_', rank, '_', it
     a = MPI_Wtime()
     call check(c%put_tensor(trim(in_key(1)), image), 'put_tensor')
     b = MPI_Wtime()
     if (ndev > 1) then
        call check(c%run_script_multigpu(script_key, 'pre_process_3ch', in_key, pre_key, local, 0, ndev), &
             'run_script')
     else
        call check(c%run_script(script_key, 'pre_process_3ch', in_key, pre_key), 'run_script')
     end if
     d = MPI_Wtime()
     if (ndev > 1) then
        call check(c%run_model_multigpu(model_key, pre_key, out_key, local, 0, ndev), 'run_model')
     else
        call check(c%run_model(model_key, pre_key, out_key), 'run_model')
     end if
     e = MPI_Wtime()
     call check(c%unpack_tensor(trim(out_key(1)), out), 'unpack_tensor')
     f = MPI_Wtime()
     call check(c%delete_tensor(trim(in_key(1))), 'delete_tensor')
     call check(c%delete_tensor(trim(pre_key(1))), 'delete_tensor')
     call check(c%delete_tensor(trim(out_key(1))), 'delete_tensor')
     if (it >= 1) t(:, it) = [b - a, d - b, e - d, f - e]
  end do
  if (iterations > 0) t_loop = MPI_Wtime() - t_loop
  call MPI_Barrier(MPI_COMM_WORLD, ierr)

  ok = 1
  if (rank == 0) then
     call get_environment_variable('LOCUS_TORCH_BACKEND', backend)
     if (len_trim(backend) == 0) then
        write (error_unit, '(a)') 'rank 0: no in-process reference: LOCUS_TORCH_BACKEND is not set'
        ok = 0
     else if (bench_reference(trim(backend)//c_null_char, trim(model_file)//c_null_char, &
          trim(script_file)//c_null_char, ref, err, int(size(err), c_size_t)) /= 0) then
        write (error_unit, '(a)') 'rank 0: no in-process reference (see the C app for the reason)'
        ok = 0
     end if
  end if
  call MPI_Bcast(ok, 1, MPI_INTEGER, 0, MPI_COMM_WORLD, ierr)
  if (ok == 0) call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
  call MPI_Bcast(ref, 1000, MPI_REAL, 0, MPI_COMM_WORLD, ierr)
  if (bench_max_diff(out, ref, 1000_c_int) > tolerance) then
     write (error_unit, '(a,i0,a,es10.3)') 'rank ', rank, &
          ': the model output differs from the in-process reference by ', bench_max_diff(out, ref, 1000_c_int)
     call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
  end if

  write (path, '(a,a,i0,a)') trim(outdir), '/rank_', rank, '_timing.csv'
  open (newunit=u, file=trim(path), status='replace', action='write', iostat=ierr)
  if (ierr /= 0) call give_up('cannot open '//trim(path))
  write (u, '(i0,a,f0.9)') rank, ',client(),', t_client
  do k = 1, 4
     do it = 1, iterations
        write (u, '(i0,a,a,a,f0.9)') rank, ',', trim(names(k)), ',', t(k, it)
     end do
  end do
  write (u, '(i0,a,f0.9)') rank, ',loop_time,', t_loop
  call c%destroy()
  call MPI_Comm_free(node, ierr)
  write (u, '(i0,a,f0.9)') rank, ',main(),', MPI_Wtime() - t_main
  close (u)
  deallocate (image, t)
  call MPI_Finalize(ierr)

contains

  subroutine check(st, what)
    integer, intent(in) :: st
    character(len=*), intent(in) :: what
    if (st /= LOCUS_OK) then
       write (error_unit, '(a,i0,a,a,a,a)') 'rank ', rank, ': ', what, ' failed: ', locus_last_error()
       call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
    end if
  end subroutine

  subroutine give_up(what)
    character(len=*), intent(in) :: what
    write (error_unit, '(a,i0,a,a)') 'rank ', rank, ': ', what
    call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
  end subroutine

  subroutine sleep_ms(ms)
    integer, intent(in) :: ms
    integer(c_int) :: r
    r = c_usleep(int(ms * 1000, c_int))
  end subroutine

end program inference_f
